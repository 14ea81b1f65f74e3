import type { Participant } from '../../../protocol/socket.js';
import type { RemoteTrack } from '../../client/MeetingClient.js';
import { useI18n } from '../i18n.js';
import { LinkSummary, QualityBadge, VideoView } from '../ui.js';

/** One site on the chair's grid: what the page knows of it. */
export interface SiteRow {
  siteId: string;
  name: string;
  participant: Participant | undefined;
  video: RemoteTrack | undefined;
}

/** A site's tile: video, online, floor, hand and microphone; give the floor, mute. */
export function SiteTile(props: {
  row: SiteRow;
  index: number;
  selected: boolean;
  floor: boolean;
  handUp: boolean;
  disabled: boolean;
  onSelect: () => void;
  onGrant: () => void;
  onMute: () => void;
}) {
  const { t } = useI18n();
  const { row } = props;
  const p = row.participant;
  const isOnline = p?.online ?? false;
  const muted = p?.mutedByChair ?? false;
  const cls = [
    'site-tile',
    props.selected ? 'selected' : '',
    props.floor ? 'floor' : '',
    isOnline ? '' : 'offline',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    // biome-ignore lint/a11y/useSemanticElements: a tile holds buttons, so it cannot be one.
    <div
      id={`tile-${row.siteId}`}
      class={cls}
      tabIndex={-1}
      role="group"
      aria-label={`${props.index + 1}. ${row.name}`}
      onFocusCapture={props.onSelect}
      data-testid="site-tile"
      data-site={row.siteId}
      data-online={isOnline ? 'true' : 'false'}
      data-floor={props.floor ? 'true' : 'false'}
      data-muted={muted ? 'true' : 'false'}
      data-hand={props.handUp ? 'true' : 'false'}
    >
      <div class="tile-head">
        <span class="tile-name" title={row.name}>
          {props.index < 9 ? <kbd>{props.index + 1}</kbd> : null} {row.name}
        </span>
        <QualityBadge grade={p?.quality?.grade} />
      </div>
      <VideoView
        track={row.video?.track}
        placeholder={isOnline ? '…' : t('offline')}
        aria-label={row.name}
      />
      <div class="tile-tags">
        <span class={`badge ${isOnline ? 'ok' : 'neutral'}`}>
          {isOnline ? `● ${t('online')}` : `○ ${t('offline')}`}
        </span>
        {props.floor ? <span class="badge ok">{t('hasFloor')}</span> : null}
        {props.handUp ? <span class="badge warn">✋ {t('handUp')}</span> : null}
        <span class={`badge ${muted || p?.selfMuted ? 'danger' : 'neutral'}`}>
          {muted || p?.selfMuted ? `🔇 ${t('micOff')}` : `🎙 ${t('micOn')}`}
        </span>
      </div>
      {isOnline ? <LinkSummary quality={p?.quality} /> : null}
      <div class="tile-actions">
        <button
          type="button"
          class={props.floor ? '' : 'primary'}
          disabled={props.disabled || (!isOnline && !props.floor)}
          onClick={props.onGrant}
          aria-label={`${props.floor ? t('revokeFloor') : t('grantFloor')}: ${row.name}`}
          data-testid="grant"
        >
          {props.floor ? t('revokeShort') : t('grantFloor')}
        </button>
        <button
          type="button"
          disabled={props.disabled || !isOnline}
          onClick={props.onMute}
          aria-pressed={muted ? 'true' : 'false'}
          aria-label={`${muted ? t('unmute') : t('mute')}: ${row.name}`}
          data-testid="mute"
        >
          {muted ? t('unmute') : t('mute')}
        </button>
      </div>
    </div>
  );
}
