import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import type { RequestName } from '../../../protocol/socket.js';
import { formatTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { trackOf, useMeeting } from '../live/useMeeting.js';
import { ErrorNotice, formatDuration, toast, useNow, VideoView } from '../ui.js';
import { AgendaPanel, HandQueuePanel, ShortcutsPanel } from './ChairPanels.js';
import { type SiteRow, SiteTile } from './ChairSiteTile.js';
import { ConnectionBanners, ConnectionState, JoinFrame, useRefreshOnClose } from './common.js';
import { ChairRecordPanel } from './RecordPanel.js';

/**
 * The chair's control page: start and end, the agenda with its clock, every site in a grid,
 * the floor, muting, the raise-hand queue, and keyboard shortcuts for all of it.
 */
export function ChairPage(props: { token: string; view: MeetingView; refresh: () => void }) {
  const { t } = useI18n();
  const { view } = props;
  const live = useMeeting(useMemo(() => ({ token: props.token, send: false }), [props.token]));
  useRefreshOnClose(live, props.refresh);
  const session = live.session;
  const status = session?.status ?? 'waiting';
  const [selected, setSelected] = useState(0);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const now = useNow(1000);
  const itemStart = useRef<{ index: number | undefined; at: number }>({ index: undefined, at: 0 });

  const sites: SiteRow[] = view.sites.map((s) => ({
    siteId: s.siteId,
    name: s.site.name,
    participant: live.participants.find((p) => p.role === 'site' && p.siteId === s.siteId),
    video: trackOf(live.tracks, (x) => x.siteId === s.siteId && x.source === 'camera'),
  }));
  const nameOf = (siteId: string) => sites.find((s) => s.siteId === siteId)?.name ?? siteId;
  const station = trackOf(live.tracks, (x) => x.role === 'station' && x.source === 'camera');
  const screen = trackOf(live.tracks, (x) => x.role === 'station' && x.source === 'screen');
  const floor = session?.floorSiteId;
  const queue = session?.handQueue ?? [];
  const agendaIndex = session?.agendaIndex ?? -1;
  const online = sites.filter((s) => s.participant?.online).length;

  // An item that changes while the page watches starts now; after a reload, estimate its start.
  if (session && itemStart.current.index !== agendaIndex) {
    const first = itemStart.current.index === undefined;
    const item = view.agenda[agendaIndex];
    const startedAt = session.startedAt ? Date.parse(session.startedAt) : Date.now();
    const estimate = item
      ? Math.min(Date.now(), Math.max(Date.parse(item.startsAt), startedAt))
      : 0;
    itemStart.current = { index: agendaIndex, at: first ? estimate : Date.now() };
  }

  const toggleRecording = async () => {
    const on = live.recording?.recording === true;
    setBusy('recording');
    setError(undefined);
    try {
      await api('POST', `/api/meetings/${view.id}/recording/${on ? 'stop' : 'start'}`);
      toast(t(on ? 'recordingStopped' : 'recordingStarted'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const act = async (
    name: RequestName,
    payload: Record<string, unknown>,
    done?: string,
  ): Promise<boolean> => {
    const client = live.client;
    if (!client) return false;
    setBusy(name);
    setError(undefined);
    try {
      await client.request(name, payload as never);
      if (done) toast(done);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const itCall = live.session?.itCallSiteId;
  // Going live ends IT's two-way call unless the chair keeps it; never silently.
  const start = (keepItCall = false) =>
    act(
      'startSession',
      keepItCall ? { keepItCall } : {},
      itCall && !keepItCall
        ? `${t('sessionStarted')} ${t('itCallEndedAtStart', { site: nameOf(itCall) })}`
        : t('sessionStarted'),
    );
  const end = () => {
    if (window.confirm(t('confirmEndSession'))) void act('endSession', {});
  };
  const grant = (siteId: string) =>
    act('grantFloor', { siteId }, t('floorGrantedTo', { site: nameOf(siteId) }));
  const revoke = () =>
    floor ? act('revokeFloor', {}, t('floorRevokedFrom', { site: nameOf(floor) })) : undefined;
  const toggleMute = (row: SiteRow) =>
    row.participant?.mutedByChair
      ? act('unmuteSite', { siteId: row.siteId }, t('unmutedSite', { site: row.name }))
      : act('muteSite', { siteId: row.siteId }, t('mutedSite', { site: row.name }));
  const muteAll = () => act('muteSite', {}, t('mutedAll'));
  const setItem = (index: number) => {
    const item = view.agenda[index];
    return act(
      'setAgendaItem',
      { index },
      item ? t('agendaMoved', { item: item.title }) : undefined,
    );
  };

  // Keyboard shortcuts (documented on the page); ignored while typing in a field.
  const keys = useRef<(e: KeyboardEvent) => void>(() => {});
  keys.current = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const row = sites[selected];
    if (/^[1-9]$/.test(e.key)) {
      const i = Number(e.key) - 1;
      if (i < sites.length) {
        setSelected(i);
        document.getElementById(`tile-${sites[i]!.siteId}`)?.focus();
      }
    } else if (e.key === 'g' || e.key === 'G') {
      if (row) void grant(row.siteId);
    } else if (e.key === 'q' || e.key === 'Q') {
      if (queue[0]) void grant(queue[0]);
    } else if (e.key === 'r' || e.key === 'R') {
      void revoke();
    } else if (e.key === 'M' && e.shiftKey) {
      void muteAll();
    } else if (e.key === 'm') {
      if (row) void toggleMute(row);
    } else if (e.key === 'n' || e.key === 'N' || e.key === 'PageDown') {
      if (agendaIndex < view.agenda.length - 1) void setItem(agendaIndex + 1);
    } else if (e.key === 'p' || e.key === 'P' || e.key === 'PageUp') {
      if (agendaIndex > -1) void setItem(agendaIndex - 1);
    } else return;
    e.preventDefault();
  };
  useEffect(() => {
    const handler = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', handler);
    return () => window.removeEventListener('keydown', handler);
  }, []);

  // Thumbnails ask for the lowest layer; the site with the floor the highest.
  useEffect(() => {
    const client = live.client;
    if (!client) return;
    for (const s of sites) {
      if (s.video)
        void client.setLayer(s.video.consumerId, s.siteId === floor ? 2 : 0).catch(() => {});
    }
  }, [live.client, floor, sites.map((s) => s.video?.consumerId).join(',')]);

  const item = view.agenda[agendaIndex];
  const next = view.agenda[agendaIndex + 1];
  const plannedMs = item
    ? (next ? Date.parse(next.startsAt) : Date.parse(view.closesAt)) - Date.parse(item.startsAt)
    : 0;
  const elapsedMs = item ? now - itemStart.current.at : 0;
  const remainingMs = plannedMs - elapsedMs;
  const sessionMs = session?.startedAt ? now - Date.parse(session.startedAt) : 0;

  return (
    <JoinFrame
      title={t('roleChairTitle')}
      sub={view.title}
      dark
      fit
      right={
        <>
          <span
            class={`badge ${status === 'live' ? 'ok' : 'neutral'}`}
            data-testid="session-status"
          >
            {status === 'live'
              ? t('sessionLive')
              : status === 'ended'
                ? t('sessionEnded')
                : t('sessionWaiting')}
          </span>
          <ConnectionState live={live} />
        </>
      }
    >
      <ConnectionBanners live={live} />
      <div class="chair-body">
        <aside class="live-side" aria-label={t('agenda')}>
          <div class="panel">
            {status === 'waiting' ? (
              <>
                <p>{t('notStartedYet')}</p>
                <button
                  type="button"
                  class="primary big"
                  style={{ width: '100%' }}
                  disabled={busy !== undefined || live.state !== 'connected'}
                  onClick={() => void start()}
                  data-testid="start-session"
                >
                  ▶ {t('startSession')}
                </button>
                {itCall ? (
                  <div class="notice warn" role="status" data-testid="it-call-notice">
                    <p>{t('itCallBeforeStart', { site: nameOf(itCall) })}</p>
                    <button
                      type="button"
                      disabled={busy !== undefined || live.state !== 'connected'}
                      onClick={() => void start(true)}
                      data-testid="start-keep-call"
                    >
                      {t('startKeepItCall')}
                    </button>
                  </div>
                ) : null}
              </>
            ) : status === 'live' ? (
              <>
                <div class="row" style={{ justifyContent: 'space-between' }}>
                  <span class="muted">{t('meetingElapsed')}</span>
                  <span class="timer" role="timer">
                    {formatDuration(sessionMs)}
                  </span>
                </div>
                <button
                  type="button"
                  style={{ width: '100%', marginTop: '8px' }}
                  disabled={busy !== undefined}
                  onClick={() => void toggleRecording()}
                  data-testid="toggle-recording"
                  aria-pressed={live.recording?.recording === true}
                >
                  {live.recording?.recording
                    ? `■ ${t('stopRecording')}`
                    : `● ${t('startRecording')}`}
                </button>
                <button
                  type="button"
                  class="danger"
                  style={{ width: '100%', marginTop: '8px' }}
                  disabled={busy !== undefined}
                  onClick={end}
                  data-testid="end-session"
                >
                  ■ {t('endSession')}
                </button>
              </>
            ) : null}
          </div>
          <AgendaPanel
            view={view}
            live={status === 'live'}
            agendaIndex={agendaIndex}
            elapsedMs={elapsedMs}
            remainingMs={remainingMs}
            onSetItem={(i) => void setItem(i)}
          />
        </aside>

        <section aria-labelledby="h-grid" class="chair-center" style={{ minWidth: 0 }}>
          <div class="row" style={{ alignItems: 'center', marginBottom: '8px' }}>
            <h2 id="h-grid" style={{ margin: 0, color: '#fff' }}>
              {t('sitesGrid')}
            </h2>
            <span class="muted" aria-live="polite">
              {t('onlineCount', { online, total: sites.length })}
            </span>
            <span class="spacer" />
            {floor ? (
              <button type="button" onClick={() => void revoke()} data-testid="revoke-floor">
                {t('revokeFloor')} ({nameOf(floor)})
              </button>
            ) : null}
            <button
              type="button"
              disabled={status !== 'live' && status !== 'waiting'}
              onClick={() => void muteAll()}
              data-testid="mute-all"
            >
              🔇 {t('muteAll')}
            </button>
          </div>
          <ErrorNotice error={error} />
          <div class="site-grid" data-testid="site-grid">
            {sites.map((row, i) => (
              <SiteTile
                key={row.siteId}
                row={row}
                index={i}
                selected={i === selected}
                floor={floor === row.siteId}
                handUp={queue.includes(row.siteId)}
                disabled={busy !== undefined || status === 'ended'}
                onSelect={() => setSelected(i)}
                onGrant={() => void (floor === row.siteId ? revoke() : grant(row.siteId))}
                onMute={() => void toggleMute(row)}
              />
            ))}
          </div>
        </section>

        <aside class="live-side" aria-label={t('handQueue')}>
          <VideoView
            track={(screen ?? station)?.track}
            caption={screen ? t('sharedContent') : t('mainPoint')}
            placeholder={t('waitingForMain')}
            aria-label={t('mainPoint')}
          />
          <HandQueuePanel
            queue={queue}
            nameOf={nameOf}
            onGrant={(siteId) => void grant(siteId)}
            onDismiss={(siteId) => void act('dismissHand', { siteId })}
          />
          <ChairRecordPanel view={view} agendaIndex={agendaIndex} />
          <ShortcutsPanel />
          <p class="muted" style={{ fontSize: '0.85rem' }}>
            {formatTime(view.opensAt)}–{formatTime(view.closesAt)}
          </p>
        </aside>
      </div>
    </JoinFrame>
  );
}
