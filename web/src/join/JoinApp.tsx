import { useEffect, useState } from 'preact/hooks';
import type { MeResponse, Principal } from '../../../protocol/auth.js';
import { type MeetingView, meetingStateLabels } from '../../../protocol/meetings.js';
import { api, setBearer } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice, Notice } from '../ui.js';
import { ChairPage } from './ChairPage.js';
import { JoinFrame } from './common.js';
import { ReporterPage } from './ReporterPage.js';
import { StationPage } from './StationPage.js';
import { TechnicianPage } from './TechnicianPage.js';
import { ViewerPage } from './ViewerPage.js';

type JoinPrincipal = Exclude<Principal, { kind: 'admin' }>;

/** A join link: asks the server who the token is, then opens that person's page. */
export function JoinApp(props: { token: string }) {
  const { t } = useI18n();
  const [principal, setPrincipal] = useState<JoinPrincipal>();
  const [view, setView] = useState<MeetingView>();
  const [error, setError] = useState<unknown>();

  const load = async () => {
    setError(undefined);
    try {
      const me = await api<MeResponse>('GET', '/api/auth/me');
      if (me.principal.kind === 'admin') throw Object.assign(new Error(''), { code: 'forbidden' });
      setPrincipal(me.principal);
      setView(await api<MeetingView>('GET', '/api/me/meeting'));
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    setBearer(props.token);
    void load();
  }, [props.token]);

  if (error) {
    return (
      <JoinFrame title={t('appName')}>
        <main class="page-center">
          <ErrorNotice
            error={error}
            onRetry={() => void load()}
            unauthorized="errUnauthorizedLink"
          />
        </main>
      </JoinFrame>
    );
  }
  if (!principal || !view) {
    return (
      <JoinFrame title={t('appName')}>
        <main class="page-center" aria-busy="true">
          <p>{t('joinChecking')}</p>
        </main>
      </JoinFrame>
    );
  }
  const refresh = () =>
    void api<MeetingView>('GET', '/api/me/meeting')
      .then(setView)
      .catch(() => {});
  // Reports are due before and after the meeting, whatever its state.
  if (principal.kind === 'reporter') return <ReporterPage view={view} />;
  if (view.state === 'draft' || view.state === 'cancelled' || view.state === 'ended') {
    return <NotOpen view={view} />;
  }
  switch (principal.kind) {
    case 'technician':
      return <TechnicianPage token={props.token} view={view} refresh={refresh} />;
    case 'station':
      return <StationPage token={props.token} view={view} refresh={refresh} />;
    case 'chair':
      return <ChairPage token={props.token} view={view} refresh={refresh} />;
    case 'viewer':
      return <ViewerPage view={view} />;
  }
}

function NotOpen(props: { view: MeetingView }) {
  const { t, lang } = useI18n();
  const v = props.view;
  return (
    <JoinFrame title={v.title}>
      <main class="page-center">
        <div data-testid={v.state === 'ended' ? 'ended-banner' : 'not-open'}>
          <Notice kind={v.state === 'ended' ? 'info' : 'warn'}>
            <strong>{meetingStateLabels[v.state][lang]}</strong>
            {v.state === 'ended' ? t('endedBanner') : null}
          </Notice>
        </div>
      </main>
    </JoinFrame>
  );
}
