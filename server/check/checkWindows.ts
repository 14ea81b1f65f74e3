import { z } from 'zod';
import { conflict } from '../../protocol/errors.js';
import type { RedisStore } from '../store/RedisStore.js';

export type CheckWindowKind = 'window' | 'recheck' | 'on-demand';

export const checkWindowSchema = z.object({
  kind: z.enum(['window', 'recheck', 'on-demand']),
  opensAt: z.string(),
  closesAt: z.string(),
});
export type CheckWindow = z.infer<typeof checkWindowSchema>;

/**
 * When a site may run its check: the meeting's check window (the scheduled one, or the re-check
 * before the opening) or an on-demand request from IT staff. Both live in Redis with a TTL.
 */
export class CheckWindows {
  constructor(
    private readonly store: RedisStore,
    private readonly now: () => number,
  ) {}

  async openWindow(
    meetingId: string,
    kind: CheckWindowKind,
    closesAtMs: number,
  ): Promise<CheckWindow> {
    const window: CheckWindow = {
      kind,
      opensAt: new Date(this.now()).toISOString(),
      closesAt: new Date(closesAtMs).toISOString(),
    };
    const ttl = Math.max(1, closesAtMs - this.now());
    await this.store.write((r) =>
      r.set(this.store.keys.meetingCheckWindow(meetingId), JSON.stringify(window), 'PX', ttl),
    );
    return window;
  }

  async closeWindow(meetingId: string): Promise<void> {
    await this.store.write((r) => r.del(this.store.keys.meetingCheckWindow(meetingId)));
  }

  async window(meetingId: string): Promise<CheckWindow | undefined> {
    return this.store.getJson(this.store.keys.meetingCheckWindow(meetingId), checkWindowSchema);
  }

  /** IT asked this site to check now; results are accepted for ttlMs. */
  async requestSiteCheck(meetingId: string, siteId: string, ttlMs: number): Promise<void> {
    await this.store.write((r) =>
      r.set(
        this.store.keys.siteCheckRequest(meetingId, siteId),
        new Date(this.now()).toISOString(),
        'PX',
        ttlMs,
      ),
    );
  }

  /** The kind of check this site may run now, or a 409 explaining why it may not. */
  async assertCheckAllowed(meetingId: string, siteId: string): Promise<CheckWindowKind> {
    const [window, requested] = await Promise.all([
      this.window(meetingId),
      this.store.read((r) => r.exists(this.store.keys.siteCheckRequest(meetingId, siteId))),
    ]);
    if (window) return window.kind;
    if (requested) return 'on-demand';
    throw conflict({
      vi: 'Chưa đến giờ kiểm tra kỹ thuật; hãy chờ giờ kiểm tra hoặc liên hệ tổ CNTT',
      en: 'The check window is not open; wait for it or ask IT staff',
    });
  }
}
