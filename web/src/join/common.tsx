import type { ComponentChildren } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import { formatTime } from '../../../protocol/time.js';
import { useI18n } from '../i18n.js';
import { type Devices, useDevices } from '../live/devices.js';
import { type MeetingLive, useMeeting } from '../live/useMeeting.js';
import { ErrorNotice, LangSwitch } from '../ui.js';

/*
 * Pieces every join page shares (frame, connection banners, agenda, publishing the page's
 * devices). JoinApp picks the page; the pages import these from here, never from JoinApp.
 */

/**
 * A page that sends (technician, station): joins with sending on, re-reads the meeting when the
 * server closes it, opens the camera and microphone and publishes them.
 */
export function useSendingPage(
  token: string,
  refresh: () => void,
): { live: MeetingLive; devices: Devices } {
  const live = useMeeting(useMemo(() => ({ token, send: true }), [token]));
  useRefreshOnClose(live, refresh);
  const devices = useDevices({ autoStart: true });
  usePublish(live, devices);
  return { live, devices };
}

/** Publishes the page's camera and microphone, again whenever the technician picks another. */
function usePublish(live: MeetingLive, devices: Devices): void {
  const client = live.client;
  useEffect(() => {
    if (client && devices.video) void client.publish(devices.video, 'camera').catch(() => {});
  }, [client, devices.video]);
  useEffect(() => {
    if (client && devices.audio) void client.publish(devices.audio, 'microphone').catch(() => {});
  }, [client, devices.audio]);
}

export function JoinFrame(props: {
  title: string;
  sub?: string;
  dark?: boolean;
  /** Fit the screen (no page scroll); for pages watched during the meeting. */
  fit?: boolean;
  right?: ComponentChildren;
  children: ComponentChildren;
}) {
  useEffect(() => {
    document.title = props.title;
  }, [props.title]);
  return (
    <div class={props.dark ? `live${props.fit ? ' fit' : ''}` : ''}>
      <header class="join-top">
        <h1>{props.title}</h1>
        {props.sub ? <span class="sub">{props.sub}</span> : null}
        <span class="spacer" />
        {props.right}
        <LangSwitch />
      </header>
      {props.children}
    </div>
  );
}

/**
 * When the server closes the connection for good (the meeting ended, the link was revoked),
 * read the meeting again so the page shows why, without a reload.
 */
export function useRefreshOnClose(live: MeetingLive, refresh: () => void): void {
  useEffect(() => {
    if (live.state === 'closed' || live.stopped === 'ended' || live.meetingVersion > 0) refresh();
  }, [live.state, live.stopped, live.meetingVersion]);
}

/** Banners every live page shows: recording, reconnecting, replaced by another tab, ended, refused. */
export function ConnectionBanners(props: { live: MeetingLive }) {
  const { t } = useI18n();
  const recording = props.live.recording?.recording && props.live.state === 'connected';
  return (
    <>
      {recording ? (
        <div class="status-banner recording" role="status" data-testid="recording-banner">
          <span aria-hidden="true">● </span>
          {t('recordingBanner')}
        </div>
      ) : null}
      <ConnectionBanner live={props.live} />
    </>
  );
}

function ConnectionBanner(props: { live: MeetingLive }) {
  const { t } = useI18n();
  const { live } = props;
  if (live.stopped === 'replaced') {
    return (
      <div class="status-banner closed" role="alert">
        {t('replacedBanner')}
        <button type="button" onClick={live.restart}>
          {t('reconnectNow')}
        </button>
      </div>
    );
  }
  if (live.stopped === 'revoked') {
    return (
      <div class="status-banner closed" role="alert" data-testid="revoked-banner">
        {t('revokedBanner')}
      </div>
    );
  }
  if (live.stopped === 'ended' || live.session?.status === 'ended') {
    return (
      <div class="status-banner ended" role="status" data-testid="ended-banner">
        {t('endedBanner')}
      </div>
    );
  }
  if (live.stopped === 'refused') {
    return (
      <div class="status-banner closed" role="alert">
        <ErrorNotice error={live.error} unauthorized="errUnauthorizedLink" />
      </div>
    );
  }
  if (live.state === 'reconnecting') {
    return (
      <div class="status-banner reconnecting" role="alert" data-testid="reconnecting">
        ⟳ {t('reconnectingBanner')}
      </div>
    );
  }
  if (live.state === 'closed') {
    return (
      <div class="status-banner closed" role="alert">
        {t('closedBanner')}
        <button type="button" onClick={live.restart}>
          {t('reconnectNow')}
        </button>
      </div>
    );
  }
  return null;
}

export function ConnectionState(props: { live: MeetingLive }) {
  const { t } = useI18n();
  return (
    <span class="sub" role="status" data-testid="conn-state" data-state={props.live.state}>
      {t(`connState_${props.live.state}`)}
    </span>
  );
}

/** The agenda, with the current item marked when the session runs. */
export function AgendaList(props: {
  agenda: MeetingView['agenda'];
  current?: number;
  onPick?: (index: number) => void;
}) {
  const { t } = useI18n();
  if (props.agenda.length === 0) return <p class="muted">{t('agendaEmpty')}</p>;
  const current = props.current ?? -1;
  return (
    <ol class="agenda-list" data-testid="agenda">
      {props.agenda.map((a, i) => {
        const cls = [
          a.isBreak ? 'break' : '',
          i === current ? 'current' : '',
          i < current ? 'done' : '',
        ]
          .filter(Boolean)
          .join(' ');
        return (
          <li
            key={`${a.startsAt}-${i}`}
            class={cls}
            aria-current={i === current ? 'step' : undefined}
          >
            <span class="time">{formatTime(a.startsAt)}</span>
            <span>
              {props.onPick ? (
                <button
                  type="button"
                  class="ghost small"
                  style={{
                    textAlign: 'left',
                    whiteSpace: 'normal',
                    padding: '2px 4px',
                    minHeight: '32px',
                  }}
                  onClick={() => props.onPick!(i)}
                  aria-label={`${t('setItem')}: ${formatTime(a.startsAt)} ${a.title}`}
                >
                  {a.title}
                </button>
              ) : (
                a.title
              )}
              {a.presenter || a.siteName ? (
                <div class="who">{[a.presenter, a.siteName].filter(Boolean).join(' — ')}</div>
              ) : null}
              {i === current ? <span class="visually-hidden"> ({t('currentItem')})</span> : null}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
