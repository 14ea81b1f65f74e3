import { useEffect, useState } from 'preact/hooks';
import type { MeResponse } from '../../../protocol/auth.js';
import { ApiError, api, onUnauthorized, setBearer } from '../api.js';
import { useI18n } from '../i18n.js';
import { linkTo, navigate } from '../router.js';
import { ErrorNotice, LangSwitch, Notice, TextField } from '../ui.js';
import { MeetingDetail } from './MeetingDetail.js';
import { MeetingEditor } from './MeetingEditor.js';
import { MeetingsList } from './MeetingsList.js';
import { MissingTools } from './MissingTools.js';
import { SitesPage } from './SitesPage.js';

type Session = { username: string } | null;

/** The IT operations board: a login form until the session cookie is there, then the pages. */
export function AdminApp(props: { path: string }) {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [expired, setExpired] = useState(false);

  const check = async () => {
    setError(undefined);
    try {
      const me = await api<MeResponse>('GET', '/api/auth/me');
      setSession(me.principal.kind === 'admin' ? { username: me.principal.username } : null);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthorized') setSession(null);
      else setError(err);
    }
  };

  useEffect(() => {
    setBearer(undefined);
    void check();
    return onUnauthorized(() => {
      setExpired(true);
      setSession(null);
    });
  }, []);

  useEffect(() => {
    document.title = `${t('appName')} — ${t('appTagline')}`;
  }, [t]);

  if (error) {
    return (
      <main class="page-center">
        <ErrorNotice error={error} onRetry={() => void check()} />
      </main>
    );
  }
  if (session === undefined) {
    return (
      <main class="page-center" aria-busy="true">
        <p>{t('loading')}</p>
      </main>
    );
  }
  if (session === null) {
    return (
      <LoginPage
        expired={expired}
        onLogin={(username) => {
          setExpired(false);
          setSession({ username });
        }}
      />
    );
  }

  const path = props.path.replace(/\/+$/, '') || '/';
  let page = <MeetingsList />;
  let section: 'meetings' | 'sites' = 'meetings';
  const edit = /^\/admin\/meetings\/([\w-]+)\/edit$/.exec(path);
  const detail = /^\/admin\/meetings\/([\w-]+)$/.exec(path);
  if (path === '/admin/sites') {
    page = <SitesPage />;
    section = 'sites';
  } else if (path === '/admin/meetings/new') {
    page = <MeetingEditor key="new" />;
  } else if (edit) {
    page = <MeetingEditor key={edit[1]} meetingId={edit[1]!} />;
  } else if (detail) {
    page = <MeetingDetail key={detail[1]} meetingId={detail[1]!} />;
  }

  const logout = async () => {
    await api('POST', '/api/auth/logout').catch(() => {});
    setSession(null);
    navigate('/', true);
  };

  return (
    <>
      <a class="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <header class="topbar">
        <a class="brand" href="/" onClick={linkTo('/')}>
          {t('appName')}
          <small>{t('appTagline')}</small>
        </a>
        <nav aria-label={t('appName')}>
          <a
            href="/"
            onClick={linkTo('/')}
            aria-current={section === 'meetings' ? 'page' : undefined}
          >
            {t('navMeetings')}
          </a>
          <a
            href="/admin/sites"
            onClick={linkTo('/admin/sites')}
            aria-current={section === 'sites' ? 'page' : undefined}
          >
            {t('navSites')}
          </a>
        </nav>
        <span class="spacer" />
        <span class="who">{t('signedInAs', { name: session.username })}</span>
        <LangSwitch />
        <button type="button" class="small" onClick={() => void logout()}>
          {t('logout')}
        </button>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        <MissingTools />
        {page}
      </main>
    </>
  );
}

function LoginPage(props: { expired: boolean; onLogin: (username: string) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [wrong, setWrong] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setWrong(false);
    try {
      const me = await api<MeResponse>('POST', '/api/auth/login', { username, password });
      props.onLogin(me.principal.kind === 'admin' ? me.principal.username : username);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthorized') setWrong(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header class="topbar">
        <span class="brand">
          {t('appName')}
          <small>{t('appTagline')}</small>
        </span>
        <span class="spacer" />
        <LangSwitch />
      </header>
      <main id="main" class="login-box">
        <form class="card" onSubmit={submit} aria-busy={busy} noValidate>
          <h1>{t('loginTitle')}</h1>
          <p class="muted">{t('loginHint')}</p>
          {props.expired ? <Notice kind="warn">{t('errUnauthorizedAdmin')}</Notice> : null}
          {wrong ? (
            <div class="notice error" role="alert" data-testid="error">
              <strong>{t('loginFailed')}</strong>
            </div>
          ) : null}
          <ErrorNotice error={error} />
          <TextField
            id="login-username"
            label={t('username')}
            value={username}
            onInput={setUsername}
            autoComplete="username"
            required
          />
          <TextField
            id="login-password"
            label={t('password')}
            type="password"
            value={password}
            onInput={setPassword}
            autoComplete="current-password"
            required
          />
          <button type="submit" class="primary big" disabled={busy} style={{ width: '100%' }}>
            {busy ? t('loggingIn') : t('login')}
          </button>
        </form>
      </main>
    </>
  );
}
