import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { type InAppNotification, inAppNotificationSchema } from '../../protocol/notifications.js';
import { sameText } from '../../protocol/text.js';
import type { RedisStore } from '../store/RedisStore.js';
import type { NotificationMessage, NotifyChannel } from './Notifier.js';

const PER_MEETING_MAX = 500;

/** Notifications stored before title and body were text in both languages: one string each. */
const storedNotificationSchema = z.preprocess((v) => {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' ? sameText(x) : x);
  return { ...o, title: text(o.title), body: text(o.body) };
}, inAppNotificationSchema);

export interface InAppChannelEvents {
  /** Stored; the composition root pushes it to the site's page and the IT board. */
  added: [notification: InAppNotification];
}

/** Notifications shown in the pages: a capped Redis list per meeting, plus a live event. */
export class InAppChannel extends EventEmitter<InAppChannelEvents> implements NotifyChannel {
  readonly name = 'in-app';

  constructor(
    private readonly store: RedisStore,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  accepts(): boolean {
    return true;
  }

  async send(message: NotificationMessage): Promise<void> {
    const n: InAppNotification = inAppNotificationSchema.parse({
      id: message.key,
      meetingId: message.meetingId,
      ...(message.siteId ? { siteId: message.siteId } : {}),
      kind: message.kind,
      title: message.title,
      body: message.body,
      at: new Date(this.now()).toISOString(),
    });
    const key = this.store.keys.meetingNotifications(message.meetingId);
    await this.store.read((r) =>
      r
        .multi()
        .lpush(key, JSON.stringify(n))
        .ltrim(key, 0, PER_MEETING_MAX - 1)
        .exec(),
    );
    this.emit('added', n);
  }

  /** Newest first; for a technician only their own site's. */
  async list(meetingId: string, siteId?: string, limit = 100): Promise<InAppNotification[]> {
    const key = this.store.keys.meetingNotifications(meetingId);
    const rows = await this.store.read((r) => r.lrange(key, 0, PER_MEETING_MAX - 1));
    const all = rows.map((row) => this.store.decode(key, row, storedNotificationSchema));
    return (siteId ? all.filter((n) => n.siteId === siteId) : all).slice(0, limit);
  }

  async clear(meetingId: string): Promise<void> {
    await this.store.read((r) => r.del(this.store.keys.meetingNotifications(meetingId)));
  }
}
