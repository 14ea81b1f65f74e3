import { useEffect, useState } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import { formatDateTime, formatTime } from '../../../protocol/time.js';
import { longDate } from '../dates.js';
import { useI18n } from '../i18n.js';
import { ChecklistPanel, CheckPanel } from '../live/CheckPanel.js';
import { CheckQueueNotice } from '../live/CheckQueueNotice.js';
import { DevicePanel } from '../live/DevicePanel.js';
import type { Devices } from '../live/devices.js';
import { type MeetingLive, trackOf } from '../live/useMeeting.js';
import {
  AudioOut,
  Countdown,
  ErrorNotice,
  QualityBadge,
  SoundBlockedPanel,
  VideoView,
} from '../ui.js';
import {
  AgendaList,
  ConnectionBanners,
  ConnectionState,
  JoinFrame,
  useSendingPage,
} from './common.js';
import { DocumentsList } from './documents.js';
import { AttendanceForm } from './RecordPanel.js';
import { ReportPanel } from './ReportPanel.js';

/** The site technician's page: waiting screen, devices, check and checklist; then the meeting. */
export function TechnicianPage(props: { token: string; view: MeetingView; refresh: () => void }) {
  const { t } = useI18n();
  const { view } = props;
  const { live, devices } = useSendingPage(props.token, props.refresh);
  const own = view.sites[0];
  const siteName = own?.site.name ?? '';
  const status = live.session?.status ?? 'waiting';
  const me = live.participants.find((p) => p.endpointId === live.endpointId);

  useEffect(() => {
    if (status !== 'waiting') props.refresh();
  }, [status]);

  return (
    <JoinFrame
      title={t('roleTechTitle', { site: siteName })}
      sub={view.title}
      dark={status === 'live'}
      fit={status === 'live'}
      right={
        <>
          <QualityBadge grade={me?.quality?.grade} />
          <ConnectionState live={live} />
        </>
      }
    >
      <ConnectionBanners live={live} />
      {status === 'ended' || live.stopped === 'ended' ? null : status === 'live' ? (
        <LiveSite live={live} view={view} devices={devices} />
      ) : (
        <Waiting live={live} view={view} devices={devices} siteName={siteName} />
      )}
    </JoinFrame>
  );
}

function Waiting(props: {
  live: MeetingLive;
  view: MeetingView;
  devices: Devices;
  siteName: string;
}) {
  const { t, lang } = useI18n();
  const { view } = props;
  const own = view.sites[0];
  return (
    <div class="waiting">
      <div>
        <section class="waiting-hero" aria-labelledby="h-waiting" data-testid="waiting">
          <h2 id="h-waiting" style={{ color: '#fff' }}>
            {t('waitingTitle')}
          </h2>
          {view.banner ? (
            <p class="banner-text">{view.banner}</p>
          ) : (
            <p class="banner-text">{view.title}</p>
          )}
          <div>{t('opensIn')}</div>
          <Countdown to={view.opensAt} />
          <p>
            {t('opensAtFull', {
              time: `${formatTime(view.opensAt)} — ${longDate(view.opensAt, lang)}`,
            })}
          </p>
          <p>{t('checkWindow', { time: formatDateTime(view.checkAt) })}</p>
        </section>
        <CheckQueueNotice client={props.live.client} />
        <DevicePanel devices={props.devices} />
        <CheckPanel live={props.live} devices={props.devices} />
        <ChecklistPanel live={props.live} expected={own?.expectedCount} />
        <AttendanceForm view={view} />
        <ReportPanel meetingId={view.id} />
      </div>
      <aside>
        <section class="card" aria-labelledby="h-agenda">
          <h2 id="h-agenda">{t('agenda')}</h2>
          <AgendaList agenda={view.agenda} />
        </section>
        {own ? (
          <section class="card" aria-labelledby="h-comp">
            <h2 id="h-comp">{t('composition')}</h2>
            {own.composition.length ? (
              <ul>
                {own.composition.map((c) => (
                  <li key={c.role}>
                    {c.role}
                    {c.count ? ` (${c.count})` : ''}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{t('none')}</p>
            )}
            {own.expectedCount ? (
              <p>
                {t('expectedCount')}: <strong>{own.expectedCount}</strong>
              </p>
            ) : null}
          </section>
        ) : null}
        <DocumentsList view={view} />
      </aside>
    </div>
  );
}

/** During the meeting: the main point (or shared content, or the site with the floor) large. */
function LiveSite(props: { live: MeetingLive; view: MeetingView; devices: Devices }) {
  const { t } = useI18n();
  const { live, view, devices } = props;
  const client = live.client;
  const session = live.session;
  const me = live.participants.find((p) => p.endpointId === live.endpointId);
  const mySiteId = client?.siteId;
  const floorSiteId = session?.floorSiteId;
  const floorName = floorSiteId
    ? (live.participants.find((p) => p.siteId === floorSiteId)?.name ?? floorSiteId)
    : undefined;
  const iHaveFloor = floorSiteId !== undefined && floorSiteId === mySiteId;
  const handUp = me?.handRaised ?? (mySiteId ? session?.handQueue.includes(mySiteId) : false);
  const [micOff, setMicOff] = useState(false);
  const [error, setError] = useState<unknown>();
  const [blocked, setBlocked] = useState(false);

  const mainVideo = trackOf(live.tracks, (x) => x.role === 'station' && x.source === 'camera');
  const screen = trackOf(live.tracks, (x) => x.role === 'station' && x.source === 'screen');
  // Never our own stream (the check loops it back): with the floor we watch the main point.
  const floorVideo =
    floorSiteId && !iHaveFloor
      ? trackOf(
          live.tracks,
          (x) =>
            x.siteId === floorSiteId && x.source === 'camera' && x.endpointId !== live.endpointId,
        )
      : undefined;
  const stage = screen ?? floorVideo ?? mainVideo;
  const stageCaption =
    stage === screen ? t('sharedContent') : stage === floorVideo ? floorName : t('mainPoint');
  const audio = live.tracks.filter((x) => x.kind === 'audio').map((x) => x.track);

  const toggleHand = async () => {
    setError(undefined);
    try {
      await client?.request(handUp ? 'lowerHand' : 'raiseHand', {});
    } catch (err) {
      setError(err);
    }
  };
  const toggleMic = async () => {
    setError(undefined);
    try {
      await client?.setPaused('microphone', !micOff);
      setMicOff(!micOff);
    } catch (err) {
      setError(
        live.mutedByChair ? Object.assign(new Error(t('cantUnmute')), { code: 'forbidden' }) : err,
      );
    }
  };
  const fullscreen = () => {
    const el = document.getElementById('stage');
    if (document.fullscreenElement) void document.exitFullscreen();
    else void el?.requestFullscreen?.().catch(() => {});
  };

  return (
    <>
      {live.mutedByChair ? (
        <div class="status-banner chair-muted" role="alert" data-testid="muted-banner">
          🔇 {t('mutedByChair')}
        </div>
      ) : null}
      {iHaveFloor ? (
        <div class="status-banner floor" role="status" data-testid="floor-banner">
          {t('youHaveFloor')}
        </div>
      ) : null}
      <div class="live-body">
        <div class="live-main">
          <VideoView
            id="stage"
            track={stage?.track}
            caption={stageCaption}
            placeholder={t('waitingForMain')}
            class="stage"
            aria-label={stageCaption}
          />
          <div class="row" style={{ alignItems: 'center' }}>
            <div class="floor-box" role="status" aria-live="polite" data-testid="floor">
              {floorName ? t('floorHolder', { site: floorName }) : t('noFloor')}
            </div>
            <span class="spacer" />
            <button type="button" onClick={fullscreen}>
              ⛶ {t('fullscreen')}
            </button>
          </div>
        </div>
        <div class="live-side">
          <div class="panel">
            <button
              type="button"
              class="big"
              style={{ width: '100%' }}
              aria-pressed={handUp ? 'true' : 'false'}
              onClick={() => void toggleHand()}
              disabled={iHaveFloor}
              data-testid="raise-hand"
            >
              ✋ {handUp ? t('lowerHand') : t('raiseHand')}
            </button>
            {handUp ? (
              <p role="status" class="muted">
                {t('handRaised')}
              </p>
            ) : null}
          </div>
          <div class="panel">
            <div class="row" style={{ alignItems: 'center', gap: '8px' }}>
              <span
                data-testid="mic-state"
                data-muted={live.mutedByChair || micOff ? 'true' : 'false'}
              >
                {live.mutedByChair || micOff ? `🔇 ${t('micOff')}` : `🎙 ${t('micOn')}`}
              </span>
              <span class="spacer" />
              <button
                type="button"
                onClick={() => void toggleMic()}
                disabled={live.mutedByChair}
                aria-pressed={micOff ? 'true' : 'false'}
              >
                {micOff ? t('unmuteMic') : t('muteMic')}
              </button>
            </div>
            <ErrorNotice error={error} />
          </div>
          {screen && mainVideo ? (
            <VideoView
              track={mainVideo.track}
              caption={t('mainPoint')}
              aria-label={t('mainPoint')}
            />
          ) : null}
          {floorVideo && stage !== floorVideo ? (
            <VideoView track={floorVideo.track} caption={floorName} aria-label={floorName} />
          ) : null}
          <VideoView
            track={devices.video}
            mirror
            caption={t('ownPreview')}
            class="pip"
            aria-label={t('ownPreview')}
          />
          <div class="panel">
            <h2>{t('quality')}</h2>
            <QualityBadge grade={me?.quality?.grade} />
            {me?.quality ? (
              <div class="muted" style={{ fontSize: '0.85rem' }}>
                ↑ {Math.round(me.quality.sendKbps)} kbps · ↓ {Math.round(me.quality.recvKbps)} kbps
                {me.quality.rttMs !== undefined ? ` · RTT ${Math.round(me.quality.rttMs)} ms` : ''}
              </div>
            ) : null}
          </div>
          {blocked ? <SoundBlockedPanel onEnable={() => setBlocked(false)} /> : null}
          <div class="panel">
            <h2>{t('agenda')}</h2>
            <AgendaList agenda={view.agenda} current={session?.agendaIndex ?? -1} />
          </div>
        </div>
      </div>
      {blocked ? null : (
        <AudioOut tracks={audio} sinkId={devices.choice.speakerId} onBlocked={setBlocked} />
      )}
    </>
  );
}
