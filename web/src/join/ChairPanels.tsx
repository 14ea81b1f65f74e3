import type { MeetingView } from '../../../protocol/meetings.js';
import { useI18n } from '../i18n.js';
import { formatDuration } from '../ui.js';
import { AgendaList } from './common.js';

/** The agenda with the current item's clock (elapsed, remaining or overtime) and prev/next. */
export function AgendaPanel(props: {
  view: MeetingView;
  /** The session runs: the chair may move through the agenda. */
  live: boolean;
  agendaIndex: number;
  elapsedMs: number;
  remainingMs: number;
  onSetItem: (index: number) => void;
}) {
  const { t } = useI18n();
  const { view, agendaIndex, elapsedMs, remainingMs } = props;
  const item = view.agenda[agendaIndex];
  return (
    <div class="panel">
      <h2>{t('agenda')}</h2>
      {item ? (
        <div data-testid="agenda-clock" style={{ marginBottom: '8px' }}>
          <div>
            <strong>{t('currentItem')}:</strong> {item.title}
          </div>
          <div class="row" style={{ gap: '16px' }}>
            <span>
              {t('elapsed')}{' '}
              <span class="timer" role="timer">
                {formatDuration(elapsedMs)}
              </span>
            </span>
            <span>
              {remainingMs >= 0 ? t('remaining') : t('overtime')}{' '}
              <span class={`timer ${remainingMs < 0 ? 'over' : ''}`} role="timer">
                {formatDuration(Math.abs(remainingMs))}
              </span>
            </span>
          </div>
        </div>
      ) : null}
      <div class="row" style={{ gap: '6px', marginBottom: '8px' }}>
        <button
          type="button"
          class="small"
          disabled={!props.live || agendaIndex <= -1}
          onClick={() => props.onSetItem(agendaIndex - 1)}
        >
          ◀ {t('prevItem')}
        </button>
        <button
          type="button"
          class="small"
          disabled={!props.live || agendaIndex >= view.agenda.length - 1}
          onClick={() => props.onSetItem(agendaIndex + 1)}
          data-testid="next-item"
        >
          {t('nextItem')} ▶
        </button>
      </div>
      <AgendaList
        agenda={view.agenda}
        current={agendaIndex}
        {...(props.live ? { onPick: props.onSetItem } : {})}
      />
    </div>
  );
}

/** Raised hands in order, each with "give the floor" and "dismiss". */
export function HandQueuePanel(props: {
  queue: string[];
  nameOf: (siteId: string) => string;
  onGrant: (siteId: string) => void;
  onDismiss: (siteId: string) => void;
}) {
  const { t } = useI18n();
  const { queue, nameOf } = props;
  return (
    <section class="panel" aria-labelledby="h-queue">
      <h2 id="h-queue">
        ✋ {t('handQueue')} ({queue.length})
      </h2>
      {queue.length === 0 ? (
        <p class="muted">{t('handQueueEmpty')}</p>
      ) : (
        <ol class="queue-list" data-testid="hand-queue">
          {queue.map((siteId) => (
            <li key={siteId} class="queue-item">
              <span class="queue-name">{nameOf(siteId)}</span>
              <button type="button" class="small primary" onClick={() => props.onGrant(siteId)}>
                {t('grantFloor')}
              </button>
              <button
                type="button"
                class="small"
                onClick={() => props.onDismiss(siteId)}
                aria-label={`${t('dismissHand')}: ${nameOf(siteId)}`}
              >
                {t('dismissHand')}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The keyboard shortcuts the page listens to, listed for the chair. */
export function ShortcutsPanel() {
  const { t } = useI18n();
  return (
    <section class="panel" aria-labelledby="h-keys">
      <h2 id="h-keys">⌨ {t('shortcuts')}</h2>
      <dl class="kbd-list" data-testid="shortcuts">
        <dt>
          <kbd>1</kbd>–<kbd>9</kbd>
        </dt>
        <dd>{t('sc_select')}</dd>
        <dt>
          <kbd>G</kbd>
        </dt>
        <dd>{t('sc_grant')}</dd>
        <dt>
          <kbd>Q</kbd>
        </dt>
        <dd>{t('sc_queue')}</dd>
        <dt>
          <kbd>R</kbd>
        </dt>
        <dd>{t('sc_revoke')}</dd>
        <dt>
          <kbd>M</kbd>
        </dt>
        <dd>{t('sc_mute')}</dd>
        <dt>
          <kbd>Shift</kbd>+<kbd>M</kbd>
        </dt>
        <dd>{t('sc_muteAll')}</dd>
        <dt>
          <kbd>N</kbd> / <kbd>PgDn</kbd>
        </dt>
        <dd>{t('sc_next')}</dd>
        <dt>
          <kbd>P</kbd> / <kbd>PgUp</kbd>
        </dt>
        <dd>{t('sc_prev')}</dd>
      </dl>
    </section>
  );
}
