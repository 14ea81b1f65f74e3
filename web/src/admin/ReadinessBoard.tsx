import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Meeting } from '../../../protocol/meetings.js';
import {
  type ChecklistItem,
  checklistItems,
  checklistLabels,
  type MeetingReadiness,
  type ReadinessState,
  readinessLabels,
  type SiteReadiness,
} from '../../../protocol/readiness.js';
import { type SipSiteCallState, sipSiteCallLabels } from '../../../protocol/sip.js';
import type { Site } from '../../../protocol/sites.js';
import { formatDateTime, formatTime } from '../../../protocol/time.js';
import { ApiError, api } from '../api.js';
import { CheckReasons } from '../CheckReasons.js';
import { CheckScore } from '../CheckScore.js';
import { DataTable } from '../DataTable.js';
import { localize, useI18n } from '../i18n.js';
import { CheckProgressLine } from '../live/CheckQueueNotice.js';
import { useMeeting } from '../live/useMeeting.js';
import { ErrorNotice, LinkSummary, Notice, QualityBadge, toast } from '../ui.js';
import { CallPanel } from './CallPanel.js';
import { TechnicianContact } from './SitesPage.js';

const connectable = new Set(['scheduled', 'checking', 'live']);

export function readinessClass(state: ReadinessState): string {
  switch (state) {
    case 'ready':
      return 'ok';
    case 'degraded':
    case 'checking':
      return 'warn';
    case 'failed':
    case 'no-show':
      return 'danger';
    case 'online':
      return 'info';
    default:
      return 'neutral';
  }
}

export function ReadinessBadge(props: { state: ReadinessState }) {
  const { lang } = useI18n();
  return (
    <span class={`badge ${readinessClass(props.state)}`} data-testid="readiness-state">
      {localize(readinessLabels[props.state], lang)}
    </span>
  );
}

const sipCallClass: Readonly<Record<SipSiteCallState, string>> = {
  in_call: 'ok',
  calling: 'info',
  on_hold: 'warn',
  dropped: 'danger',
  not_called: 'neutral',
};

/** A hall room system's call (SIP), as the session reports it. */
function SipCallBadge(props: { state: SipSiteCallState }) {
  const { lang } = useI18n();
  return (
    <div>
      <span class={`badge ${sipCallClass[props.state]}`} data-testid="sip-call-state">
        SIP: {localize(sipSiteCallLabels[props.state], lang)}
      </span>
    </div>
  );
}

function Figures(props: { r: SiteReadiness }) {
  const { lang, t } = useI18n();
  const c = props.r.lastCheck;
  if (!c) return <span class="muted">{t('none')}</span>;
  const verdictState: ReadinessState =
    c.verdict === 'pass' ? 'ready' : c.verdict === 'degraded' ? 'degraded' : 'failed';
  return (
    <div>
      <ReadinessBadge state={verdictState} />{' '}
      <span class="muted">{formatDateTime(c.finishedAt)}</span>
      <CheckScore result={c} lang={lang} />
      <CheckReasons reasons={c.reasons} lang={lang} compact />
    </div>
  );
}

function ChecklistCell(props: { r: SiteReadiness | undefined }) {
  const { lang, t } = useI18n();
  const cl = props.r?.checklist;
  if (!cl) return <span class="muted">{t('none')}</span>;
  const done = checklistItems.filter((k) => cl.items[k]).length;
  const missing = checklistItems.filter((k) => !cl.items[k]) as ChecklistItem[];
  return (
    <div>
      <span class={`badge ${done === checklistItems.length ? 'ok' : 'warn'}`}>
        {done}/{checklistItems.length}
      </span>{' '}
      <span class="muted">{formatTime(cl.confirmedAt)}</span>
      {missing.length ? (
        <div class="figures">
          {missing.map((k) => localize(checklistLabels[k], lang)).join(', ')}
        </div>
      ) : null}
    </div>
  );
}

/**
 * Every site of the meeting as IT staff watch it on the morning of the check: online, the last
 * check and its figures, the checklist, who to phone; check one site or all, call one site.
 */
export function ReadinessBoard(props: {
  meeting: Meeting;
  directory: Map<string, Site>;
  /** The meeting's state may have moved (the check window opened or closed). */
  onMeetingChanged?: () => void;
}) {
  const { t, lang } = useI18n();
  const m = props.meeting;
  const [readiness, setReadiness] = useState<MeetingReadiness>();
  const [loadError, setLoadError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [calling, setCalling] = useState<string>();
  const live = useMeeting(
    useMemo(
      () => (connectable.has(m.state) ? { meetingId: m.id, send: m.state !== 'live' } : undefined),
      [m.id, m.state],
    ),
  );

  const load = async () => {
    try {
      setReadiness(await api<MeetingReadiness>('GET', `/api/meetings/${m.id}/readiness`));
      setLoadError(undefined);
    } catch (err) {
      setLoadError(err);
    }
  };
  useEffect(() => {
    void load();
    // Live updates come over the socket; the poll catches anything missed while offline.
    const timer = setInterval(() => void load(), 15_000);
    return () => clearInterval(timer);
  }, [m.id, m.version]);

  useEffect(() => {
    const c = live.client;
    if (!c) return;
    const offWindow = c.subscribe('checkWindowChanged', () => {
      props.onMeetingChanged?.();
      void load();
    });
    const offReadiness = c.subscribe('readinessChanged', (r) => {
      setReadiness((prev) =>
        prev
          ? {
              ...prev,
              sites: prev.sites.map((s) => (s.siteId === r.siteId ? { ...s, ...r } : s)),
            }
          : prev,
      );
    });
    return () => {
      offWindow();
      offReadiness();
    };
  }, [live.client]);

  const bySite = new Map((readiness?.sites ?? []).map((s) => [s.siteId, s]));
  const onlineSites = new Map(
    live.participants.filter((p) => p.role === 'site' && p.siteId).map((p) => [p.siteId!, p]),
  );
  const station = live.participants.find((p) => p.role === 'station');
  const rows = m.sites.map((p) => ({
    siteId: p.siteId,
    site: props.directory.get(p.siteId),
    r: bySite.get(p.siteId),
    participant: onlineSites.get(p.siteId),
  }));
  const counts = rows.reduce(
    (acc, row) => {
      const s = row.r?.state ?? 'unknown';
      if (s === 'ready') acc.ready++;
      else if (s === 'failed' || s === 'no-show') acc.failed++;
      else if (s !== 'degraded') acc.unknown++;
      return acc;
    },
    { ready: 0, failed: 0, unknown: 0 },
  );

  const requestCheck = async (siteId?: string) => {
    setActionError(undefined);
    try {
      const c = live.client;
      if (!c) throw new ApiError('unavailable');
      const res = await c.request('requestCheck', siteId ? { siteId } : {});
      toast(
        `${t('checkRequested')}${res.offline.length ? ` ${t('offline')}: ${res.offline.map((id) => props.directory.get(id)?.name ?? id).join(', ')}` : ''}`,
      );
    } catch (err) {
      setActionError(err);
    }
  };

  const unreachable = !connectable.has(m.state);
  return (
    <section class="card" aria-labelledby="h-readiness" data-testid="readiness">
      <div class="card-head">
        <h2 id="h-readiness">{t('readinessTitle')}</h2>
        <span class="badge neutral" aria-live="polite">
          {t('readinessCounts', { ...counts, total: rows.length })}
        </span>
        <span class="spacer" />
        {!unreachable ? <span class="muted">{t(`connState_${live.state}`)}</span> : null}
        <button
          type="button"
          disabled={unreachable || live.state !== 'connected'}
          onClick={() => void requestCheck()}
          data-testid="check-all"
        >
          {t('checkAll')}
        </button>
      </div>
      {loadError && !(loadError instanceof ApiError && loadError.status === 404) ? (
        <ErrorNotice error={loadError} onRetry={() => void load()} />
      ) : null}
      <ErrorNotice error={actionError} />
      <CheckProgressLine meetingId={m.id} client={live.client} />
      {readiness?.problems.length ? (
        <Notice kind="warn">
          <ul style={{ margin: 0, paddingLeft: '18px' }}>
            {readiness.problems.map((p, i) => (
              <li key={`${p.siteId}-${i}`} data-testid="readiness-problem" data-kind={p.kind}>
                <strong>{p.siteName}</strong>: {localize(p.message, lang)}
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {calling && live.client ? (
        <CallPanel
          client={live.client}
          siteId={calling}
          siteName={props.directory.get(calling)?.name ?? calling}
          tracks={live.tracks}
          onEnd={() => setCalling(undefined)}
        />
      ) : null}
      <DataTable
        columns={[
          t('colSite'),
          t('colOnline'),
          t('state'),
          t('colLastCheck'),
          t('colChecklist'),
          t('colTechnician'),
          t('colActions'),
        ]}
      >
        <tr>
          <th scope="row">
            {props.directory.get(m.mainSite.siteId)?.name ?? m.mainSite.siteId}
            <div class="muted">{t('mainPointLabel')}</div>
          </th>
          <td>
            <OnlineBadge online={!!station?.online} />
          </td>
          <td colSpan={3}>
            {station?.quality ? <QualityBadge grade={station.quality.grade} /> : null}
          </td>
          <td>
            <TechnicianContact technician={props.directory.get(m.mainSite.siteId)?.technician} />
          </td>
          <td />
        </tr>
        {rows.map((row) => {
          const online = row.participant?.online ?? row.r?.online ?? false;
          const name = row.site?.name ?? row.siteId;
          return (
            <tr key={row.siteId} data-testid="readiness-row" data-site={row.siteId}>
              <th scope="row">{name}</th>
              <td>
                <OnlineBadge online={online} />
                {row.participant?.call ? <SipCallBadge state={row.participant.call} /> : null}
                {row.participant?.quality ? (
                  <div>
                    <QualityBadge grade={row.participant.quality.grade} />
                    <div>
                      <LinkSummary quality={row.participant.quality} />
                    </div>
                  </div>
                ) : null}
              </td>
              <td>
                <ReadinessBadge state={row.r?.state ?? 'unknown'} />
                {row.r?.note ? <div class="figures">{localize(row.r.note, lang)}</div> : null}
              </td>
              <td>{row.r ? <Figures r={row.r} /> : <span class="muted">{t('none')}</span>}</td>
              <td>
                <ChecklistCell r={row.r} />
              </td>
              <td>
                <TechnicianContact technician={row.site?.technician} />
              </td>
              <td class="actions">
                <button
                  type="button"
                  class="small"
                  disabled={!online || live.state !== 'connected'}
                  onClick={() => void requestCheck(row.siteId)}
                  aria-label={`${t('checkNow')}: ${name}`}
                >
                  {t('checkNow')}
                </button>
                <button
                  type="button"
                  class="small"
                  disabled={
                    !online ||
                    live.state !== 'connected' ||
                    m.state === 'live' ||
                    calling !== undefined
                  }
                  onClick={() => setCalling(row.siteId)}
                  aria-label={`${t('callSite')}: ${name}`}
                >
                  {t('callSite')}
                </button>
              </td>
            </tr>
          );
        })}
      </DataTable>
      {!readiness && !loadError ? <p class="muted">{t('loading')}</p> : null}
    </section>
  );
}

function OnlineBadge(props: { online: boolean }) {
  const { t } = useI18n();
  return (
    <span class={`badge ${props.online ? 'ok' : 'neutral'}`} data-testid="online">
      {props.online ? `● ${t('online')}` : `○ ${t('offline')}`}
    </span>
  );
}
