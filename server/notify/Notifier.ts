import { EventEmitter } from 'node:events';
import type { InAppNotification } from '../../protocol/notifications.js';
import type { Text } from '../../protocol/text.js';
import type { Logger } from '../logger.js';
import type { RedisStore } from '../store/RedisStore.js';

/** One message to deliver on every channel that accepts it. */
export interface NotificationMessage {
  /** Idempotency key: a message with the same key is delivered at most once per channel. */
  key: string;
  meetingId: string;
  /** The site it is about (and whose technician receives it); absent: IT staff only. */
  siteId?: string;
  kind: InAppNotification['kind'];
  title: Text;
  body: Text;
  /** E-mail recipient, normally the site's technician. */
  email?: { to: string; name?: string };
  /** Machine-readable facts for the webhook receiver. */
  data?: Record<string, unknown>;
}

export interface NotifyChannel {
  readonly name: string;
  accepts(message: NotificationMessage): boolean;
  /** Throws PermanentNotifyError when retrying cannot help (bad address, 4xx). */
  send(message: NotificationMessage): Promise<void>;
  close?(): Promise<void> | void;
}

/** Retrying will not help: the job that sent it fails without further attempts. */
export class PermanentNotifyError extends Error {
  override readonly name = 'PermanentNotifyError';
}

/** Some channels failed; `permanent` when none of the failures is worth a retry. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  constructor(
    readonly failures: { channel: string; error: Error }[],
    readonly permanent: boolean,
  ) {
    super(failures.map((f) => `${f.channel}: ${f.error.message}`).join('; '));
  }
}

export interface NotifierOptions {
  store: RedisStore;
  channels: NotifyChannel[];
  logger: Logger;
  /** How long a "sent" mark is kept (ms). Default 30 days. */
  sentTtlMs?: number;
  /** How long an in-flight claim blocks a second sender (ms); a crash mid-send frees it after. */
  claimTtlMs?: number;
}

export interface NotifierEvents {
  /** A message went out on a channel (tests and metrics). */
  delivered: [message: NotificationMessage, channel: string];
}

export interface SendOutcome {
  sent: string[];
  /** Already sent earlier (or being sent by another worker). */
  skipped: string[];
}

/**
 * Delivers reminders and escalations through pluggable channels, each at most once per message
 * key: a channel claims `key` with SET NX before sending, marks it sent after, and releases the
 * claim when sending fails so a retry can send. A retry after a partial failure only re-sends on
 * the channels that failed.
 */
export class Notifier extends EventEmitter<NotifierEvents> {
  private readonly log: Logger;
  private readonly sentTtlMs: number;
  private readonly claimTtlMs: number;

  constructor(private readonly options: NotifierOptions) {
    super();
    this.log = options.logger.child({ component: 'notifier' });
    this.sentTtlMs = options.sentTtlMs ?? 30 * 24 * 3600_000;
    this.claimTtlMs = options.claimTtlMs ?? 5 * 60_000;
  }

  get channels(): readonly NotifyChannel[] {
    return this.options.channels;
  }

  async send(message: NotificationMessage): Promise<SendOutcome> {
    const { store } = this.options;
    const outcome: SendOutcome = { sent: [], skipped: [] };
    const failures: { channel: string; error: Error }[] = [];
    const log = this.log.child({
      meetingId: message.meetingId,
      siteId: message.siteId,
      key: message.key,
    });
    for (const channel of this.options.channels) {
      if (!channel.accepts(message)) continue;
      const claimKey = store.keys.notificationSent(message.key, channel.name);
      const claimed = await store.read((r) =>
        r.set(claimKey, 'pending', 'PX', this.claimTtlMs, 'NX'),
      );
      if (claimed !== 'OK') {
        outcome.skipped.push(channel.name);
        continue;
      }
      try {
        await channel.send(message);
        await store.read((r) => r.set(claimKey, 'sent', 'PX', this.sentTtlMs));
        outcome.sent.push(channel.name);
        log.info({ channel: channel.name, kind: message.kind }, 'notification sent');
        this.emit('delivered', message, channel.name);
      } catch (err) {
        await store.read((r) => r.del(claimKey)).catch(() => {});
        const error = err instanceof Error ? err : new Error(String(err));
        log.warn({ channel: channel.name, err: error.message }, 'notification failed');
        failures.push({ channel: channel.name, error });
      }
    }
    if (failures.length > 0) {
      throw new NotifyError(
        failures,
        failures.every((f) => f.error instanceof PermanentNotifyError),
      );
    }
    return outcome;
  }

  async close(): Promise<void> {
    for (const c of this.options.channels) {
      try {
        await c.close?.();
      } catch (err) {
        this.log.warn({ err, channel: c.name }, 'closing a notification channel failed');
      }
    }
  }
}
