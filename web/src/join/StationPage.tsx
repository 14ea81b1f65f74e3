import { useState } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import { formatDateTime } from '../../../protocol/time.js';
import { useI18n } from '../i18n.js';
import { DevicePanel } from '../live/DevicePanel.js';
import { trackOf } from '../live/useMeeting.js';
import {
  AudioOut,
  ErrorNotice,
  Notice,
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
import { EncoderSetup } from './EncoderSetup.js';
import { FeedPanel } from './FeedPanel.js';

/**
 * The main-point station: sends the hall's camera and microphone to every site (or its
 * encoder's, FeedPanel), shares a screen or a slide window, and shows (and plays) the site that
 * has the floor.
 */
export function StationPage(props: { token: string; view: MeetingView; refresh: () => void }) {
  const { t } = useI18n();
  const { view } = props;
  const { live, devices } = useSendingPage(props.token, props.refresh);
  const [screen, setScreen] = useState<MediaStreamTrack>();
  const [shareError, setShareError] = useState<unknown>();
  const [blocked, setBlocked] = useState(false);
  const session = live.session;
  const status = session?.status ?? 'waiting';
  const me = live.participants.find((p) => p.endpointId === live.endpointId);
  const floorSiteId = session?.floorSiteId;
  const floorName = floorSiteId
    ? (live.participants.find((p) => p.siteId === floorSiteId)?.name ?? floorSiteId)
    : undefined;
  const floorVideo = floorSiteId
    ? trackOf(live.tracks, (x) => x.siteId === floorSiteId && x.source === 'camera')
    : undefined;
  const audio = live.tracks.filter((x) => x.kind === 'audio').map((x) => x.track);
  const sitesOnline = live.participants.filter((p) => p.role === 'site' && p.online).length;
  const publishing = live.state === 'connected' && !!devices.video;

  const share = async () => {
    setShareError(undefined);
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return;
      track.contentHint = 'detail';
      track.addEventListener('ended', () => {
        setScreen(undefined);
        void live.client?.unpublish('screen');
      });
      await live.client?.publish(track, 'screen');
      setScreen(track);
    } catch (err) {
      const name = (err as Error).name;
      setShareError(
        name === 'NotAllowedError' || name === 'AbortError'
          ? Object.assign(new Error(t('shareDenied')), { code: 'bad_request' })
          : err,
      );
    }
  };
  const stopShare = async () => {
    screen?.stop();
    setScreen(undefined);
    await live.client?.unpublish('screen');
  };

  const statusLabel =
    status === 'live'
      ? t('sessionLive')
      : status === 'ended'
        ? t('sessionEnded')
        : t('sessionWaiting');

  return (
    <JoinFrame
      title={t('roleStationTitle')}
      sub={`${view.mainSite.site.name} — ${view.title}`}
      dark
      right={
        <>
          <span
            class={`badge ${status === 'live' ? 'ok' : 'neutral'}`}
            data-testid="session-status"
          >
            {statusLabel}
          </span>
          <QualityBadge grade={me?.quality?.grade} />
          <ConnectionState live={live} />
        </>
      }
    >
      <ConnectionBanners live={live} />
      <div class="live-body">
        <div class="live-main">
          <div class="panel station-floor">
            <h2>{t('floorSiteTitle')}</h2>
            <p class="floor-box" role="status" aria-live="polite" data-testid="floor">
              {floorName ? t('floorHolder', { site: floorName }) : t('noFloor')}
            </p>
            <VideoView
              track={floorVideo?.track}
              caption={floorName}
              placeholder={floorName ? t('callConnecting') : t('noFloor')}
              aria-label={floorName ?? t('noFloor')}
            />
          </div>
          <div style={{ color: 'var(--text)' }}>
            <DevicePanel devices={devices} title={t('stationIntro')} />
          </div>
        </div>
        <div class="live-side">
          <div class="panel">
            <p role="status" data-testid="publishing">
              <span class={`badge ${publishing ? 'ok' : 'warn'}`}>
                {publishing ? `● ${t('publishing')}` : t('notPublishing')}
              </span>
            </p>
            <p class="muted">
              {t('onlineCount', { online: sitesOnline, total: view.sites.length })}
            </p>
            {screen ? (
              <>
                <p>
                  <span class="badge info">{t('sharing')}</span>
                </p>
                <VideoView
                  track={screen}
                  caption={t('sharedContent')}
                  aria-label={t('sharedContent')}
                />
                <button
                  type="button"
                  class="danger"
                  style={{ width: '100%', marginTop: '8px' }}
                  onClick={() => void stopShare()}
                >
                  {t('stopShare')}
                </button>
              </>
            ) : (
              <button
                type="button"
                class="primary big"
                style={{ width: '100%' }}
                disabled={live.state !== 'connected'}
                onClick={() => void share()}
                data-testid="share-screen"
              >
                🖥 {t('shareScreen')}
              </button>
            )}
            <ErrorNotice error={shareError} />
          </div>
          <FeedPanel
            meetingId={view.id}
            endpointId={live.endpointId}
            feed={me?.feed}
            client={live.client}
          />
          <EncoderSetup meetingId={view.id} />
          {status === 'waiting' ? (
            <Notice kind="info">{t('opensAtFull', { time: formatDateTime(view.opensAt) })}</Notice>
          ) : null}
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
    </JoinFrame>
  );
}
