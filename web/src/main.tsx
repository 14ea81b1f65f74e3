import './styles.css';
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { AdminApp } from './admin/AdminApp.js';
import { I18nContext, initialLang, type Lang, saveLang, translator } from './i18n.js';
import { JoinApp } from './join/JoinApp.js';
import { usePath } from './router.js';
import { ToastRegion } from './ui.js';

/** `/join/<token>` opens a join-link page; everything else is the IT operations board. */
function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang: (l: Lang) => {
        saveLang(l);
        setLangState(l);
      },
    }),
    [lang],
  );
  const path = usePath();
  const join = /^\/join\/([^/]+)\/?$/.exec(path);
  return (
    <I18nContext.Provider value={i18n}>
      {join ? <JoinApp token={decodeURIComponent(join[1]!)} /> : <AdminApp path={path} />}
      <ToastRegion />
    </I18nContext.Provider>
  );
}

document.documentElement.lang = initialLang();
render(<App />, document.getElementById('app')!);
