import { useEffect, useState } from 'preact/hooks';
import type { IssuedLink, JoinLink } from '../../../protocol/auth.js';
import {
  type Meeting,
  type MeetingAction,
  meetingActions,
  meetingTransitions,
} from '../../../protocol/meetings.js';
import type { Site } from '../../../protocol/sites.js';
import { formatDateTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { DataTable } from '../DataTable.js';
import { useI18n } from '../i18n.js';
import { linkTo } from '../router.js';
import { ErrorNotice, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { BroadcastCard } from './BroadcastCard.js';
import { FailedJobs } from './FailedJobs.js';
import { StateBadge } from './MeetingsList.js';
import { ReadinessBoard } from './ReadinessBoard.js';
import { ReportsCard } from './ReportsCard.js';

const dangerous: ReadonlySet<MeetingAction> = new Set(['cancel', 'end']);

/** One meeting for IT staff: lifecycle, documents, join links, readiness of every site. */
export function MeetingDetail(props: { meetingId: string }) {
  const { t, lang } = useI18n();
  const id = props.meetingId;
  const meeting = useLoad(() => api<Meeting>('GET', `/api/meetings/${id}`), [id]);
  const sites = useLoad(() => api<{ sites: Site[] }>('GET', '/api/sites').then((r) => r.sites), []);
  const [actionError, setActionError] = useState<unknown>();
  const [busyAction, setBusyAction] = useState<MeetingAction>();

  useEffect(() => {
    if (meeting.data) document.title = `${meeting.data.title} — ${t('appName')}`;
  }, [meeting.data, t]);

  if (meeting.error) {
    return <ErrorNotice error={meeting.error} onRetry={() => void meeting.reload()} />;
  }
  const m = meeting.data;
  if (!m) return <p aria-busy="true">{t('loading')}</p>;

  const directory = new Map((sites.data ?? []).map((s) => [s.id, s]));
  const nameOf = (siteId: string) => directory.get(siteId)?.name ?? siteId;
  const allowed = meetingActions.filter((a) =>
    (meetingTransitions[a].from as readonly string[]).includes(m.state),
  );

  const perform = async (action: MeetingAction) => {
    if (action === 'cancel' && !window.confirm(t('confirmCancel', { title: m.title }))) return;
    if (action === 'end' && !window.confirm(t('confirmEndSession'))) return;
    setActionError(undefined);
    setBusyAction(action);
    try {
      const next = await api<Meeting>('POST', `/api/meetings/${m.id}/actions/${action}`, {
        version: m.version,
      });
      meeting.set(next);
      toast(t('actionDone', { action: t(`act_${action}`) }));
    } catch (err) {
      setActionError(err);
    } finally {
      setBusyAction(undefined);
    }
  };

  return (
    <>
      <div class="page-head">
        <a class="button small" href="/" onClick={linkTo('/')}>
          ← {t('navMeetings')}
        </a>
        <h1 data-testid="meeting-title">{m.title}</h1>
        <StateBadge state={m.state} />
      </div>
      <ErrorNotice
        error={actionError}
        onRetry={() => {
          setActionError(undefined);
          void meeting.reload();
        }}
        retryLabel="reloadData"
      />
      <div class="detail-grid">
        <div>
          <section class="card" aria-labelledby="h-facts">
            <div class="card-head">
              <h2 id="h-facts">{t('meetingDetail')}</h2>
              <span class="spacer" />
              {['draft', 'scheduled', 'checking'].includes(m.state) ? (
                <a
                  class="button small"
                  href={`/admin/meetings/${m.id}/edit`}
                  onClick={linkTo(`/admin/meetings/${m.id}/edit`)}
                  data-testid="edit-meeting"
                >
                  {t('edit')}
                </a>
              ) : null}
            </div>
            {m.banner ? <p class="banner-text">{m.banner}</p> : null}
            <dl class="facts">
              <dt>{t('fOrganizer')}</dt>
              <dd>{m.organizer}</dd>
              {m.chair ? (
                <>
                  <dt>{t('fChair')}</dt>
                  <dd>{m.chair}</dd>
                </>
              ) : null}
              <dt>{t('opensAtLabel')}</dt>
              <dd>
                {formatDateTime(m.opensAt)} – {formatDateTime(m.closesAt).slice(0, 5)}
              </dd>
              <dt>{t('checkAtLabel')}</dt>
              <dd data-testid="check-at">
                {formatDateTime(m.checkAt)} ({m.checkDurationMinutes}′)
              </dd>
              <dt>{t('fMainSite')}</dt>
              <dd>{nameOf(m.mainSite.siteId)}</dd>
              <dt>{t('fSites')}</dt>
              <dd>{t('sitesCount', { count: m.sites.length })}</dd>
              <dt>{t('sectionAgenda')}</dt>
              <dd>{t('agendaCount', { count: m.agenda.length })}</dd>
            </dl>
          </section>
        </div>
        <aside>
          <section class="card" aria-labelledby="h-actions">
            <h2 id="h-actions">{t('actions')}</h2>
            <div style={{ display: 'flex', flexDirection: 'column', gap: '8px' }}>
              {allowed.map((a) => (
                <button
                  key={a}
                  type="button"
                  class={
                    dangerous.has(a)
                      ? 'danger'
                      : a === 'schedule' || a === 'goLive'
                        ? 'primary'
                        : ''
                  }
                  disabled={busyAction !== undefined}
                  onClick={() => void perform(a)}
                  data-testid={`action-${a}`}
                >
                  {busyAction === a ? t('saving') : t(`act_${a}`)}
                </button>
              ))}
            </div>
          </section>
          <section class="card" aria-labelledby="h-docs">
            <h2 id="h-docs">{t('documents')}</h2>
            <div style={{ display: 'flex', flexDirection: 'column', gap: '8px' }}>
              <a
                class="button"
                href={`/api/meetings/${m.id}/convocation`}
                target="_blank"
                rel="noopener"
                data-testid="print-convocation"
              >
                {t('printConvocation')}
              </a>
              <a
                class="button"
                href={`/api/meetings/${m.id}/readiness/report`}
                target="_blank"
                rel="noopener"
                data-testid="print-readiness"
              >
                {t('printReadiness')}
              </a>
              <a
                class="button"
                href={`/api/meetings/${m.id}/attendance/report.html`}
                target="_blank"
                rel="noopener"
              >
                {lang === 'vi' ? 'Báo cáo tham dự' : 'Attendance report'}
              </a>
              <a class="button" href={`/api/meetings/${m.id}/attendance/report.csv`}>
                {lang === 'vi' ? 'Báo cáo tham dự (CSV)' : 'Attendance (CSV)'}
              </a>
              <a
                class="button"
                href={`/api/meetings/${m.id}/record.html`}
                target="_blank"
                rel="noopener"
              >
                {lang === 'vi' ? 'Biên bản hội nghị' : 'Record of the meeting'}
              </a>
              <a class="button" href={`/api/meetings/${m.id}/meeting.ics`}>
                {t('calendarMeeting')}
              </a>
              <a class="button" href={`/api/meetings/${m.id}/check.ics`}>
                {t('calendarCheck')}
              </a>
            </div>
          </section>
        </aside>
      </div>
      <ReadinessBoard
        meeting={m}
        directory={directory}
        onMeetingChanged={() => void meeting.reload()}
      />
      <ReportsCard meeting={m} nameOf={nameOf} />
      <LinksCard meeting={m} nameOf={nameOf} />
      <BroadcastCard meetingId={m.id} />
      <FailedJobs meetingId={m.id} />
    </>
  );
}

async function copyText(text: string, input?: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Plain http (not localhost) has no clipboard API: select the text for Ctrl+C instead.
    input?.select();
    return document.execCommand?.('copy') ?? false;
  }
}

function LinkUrl(props: { url: string; label: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  let input: HTMLInputElement | null = null;
  return (
    <div class="row" style={{ flexWrap: 'nowrap', gap: '6px', alignItems: 'center' }}>
      <input
        ref={(el) => {
          input = el;
        }}
        class="link-url"
        readOnly
        value={props.url}
        aria-label={props.label}
        onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
        data-testid="link-url"
      />
      <button
        type="button"
        class="small"
        onClick={async () => {
          const ok = await copyText(props.url, input);
          setCopied(ok);
          if (ok) toast(t('copied'));
        }}
      >
        {copied ? t('copied') : t('copy')}
      </button>
    </div>
  );
}

function LinksCard(props: { meeting: Meeting; nameOf: (id: string) => string }) {
  const { t } = useI18n();
  const m = props.meeting;
  const links = useLoad(
    () => api<{ links: JoinLink[] }>('GET', `/api/meetings/${m.id}/links`).then((r) => r.links),
    [m.id],
  );
  // Tokens exist only in the answer that issued them; kept for this page's lifetime.
  const [urls, setUrls] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();

  const run = async (what: string, fn: () => Promise<IssuedLink[]>) => {
    setBusy(what);
    setError(undefined);
    try {
      const issued = await fn();
      setUrls((u) => ({ ...u, ...Object.fromEntries(issued.map((i) => [i.link.id, i.url])) }));
      await links.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const linkName = (l: JoinLink) =>
    (l.role === 'technician' || l.role === 'reporter') && l.siteId
      ? `${t(`role_${l.role}`)} — ${props.nameOf(l.siteId)}`
      : t(`role_${l.role}`);
  const active = (links.data ?? []).filter((l) => !l.revokedAt);
  const revoked = (links.data ?? []).filter((l) => l.revokedAt);

  return (
    <section class="card" aria-labelledby="h-links">
      <div class="card-head">
        <h2 id="h-links">{t('linksTitle')}</h2>
        <span class="spacer" />
        <button
          type="button"
          class="primary"
          disabled={busy !== undefined || ['ended', 'cancelled'].includes(m.state)}
          data-testid="issue-missing"
          onClick={() =>
            void run('missing', () =>
              api<{ issued: IssuedLink[] }>('POST', `/api/meetings/${m.id}/links/missing`).then(
                (r) => r.issued,
              ),
            )
          }
        >
          {busy === 'missing' ? t('issuing') : t('issueMissing')}
        </button>
        <button
          type="button"
          disabled={busy !== undefined || ['ended', 'cancelled'].includes(m.state)}
          data-testid="issue-viewer"
          onClick={() =>
            void run('viewer', () =>
              api<IssuedLink>('POST', `/api/meetings/${m.id}/links`, { role: 'viewer' }).then(
                (r) => [r],
              ),
            )
          }
        >
          {busy === 'viewer' ? t('issuing') : t('issueViewer')}
        </button>
      </div>
      <p class="muted">{t('linksHint')}</p>
      <ErrorNotice
        error={error ?? links.error}
        onRetry={() => void links.reload()}
        retryLabel="reloadData"
      />
      {links.data && links.data.length === 0 ? <p class="muted">{t('noLinks')}</p> : null}
      {active.length ? (
        <DataTable
          testId="links-table"
          columns={[t('linkFor'), t('linkUrl'), t('linkExpires'), t('colActions')]}
        >
          {active.map((l) => (
            <tr key={l.id} data-role={l.role} data-site={l.siteId ?? ''}>
              <th scope="row">{linkName(l)}</th>
              <td style={{ minWidth: '280px' }}>
                {urls[l.id] ? (
                  <LinkUrl url={urls[l.id]!} label={`${t('linkUrl')}: ${linkName(l)}`} />
                ) : (
                  <span class="muted">
                    {t('linkCreated')} {formatDateTime(l.createdAt)}
                  </span>
                )}
              </td>
              <td>{formatDateTime(l.expiresAt)}</td>
              <td class="actions">
                <button
                  type="button"
                  class="small"
                  disabled={busy !== undefined}
                  aria-label={`${t('reissue')}: ${linkName(l)}`}
                  onClick={() =>
                    void run(l.id, () =>
                      api<IssuedLink>('POST', `/api/meetings/${m.id}/links/${l.id}/reissue`).then(
                        (r) => [r],
                      ),
                    )
                  }
                >
                  {t('reissue')}
                </button>
                <button
                  type="button"
                  class="small"
                  disabled={busy !== undefined}
                  aria-label={`${t('revoke')}: ${linkName(l)}`}
                  onClick={() => {
                    if (!window.confirm(t('confirmRevoke'))) return;
                    void run(l.id, () =>
                      api('DELETE', `/api/meetings/${m.id}/links/${l.id}`).then(() => []),
                    );
                  }}
                >
                  {t('revoke')}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {revoked.length ? (
        <p class="muted">
          {t('revoked')}: {revoked.length}
        </p>
      ) : null}
    </section>
  );
}
