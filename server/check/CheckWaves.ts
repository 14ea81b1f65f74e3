import { type CheckProgress, type CheckQueued, queueText } from '../../protocol/check/queue.js';
import { conflict } from '../../protocol/errors.js';
import type { EndpointRole, NotificationName, NotificationPayload } from '../../protocol/socket.js';
import type { Logger } from '../logger.js';
import { type CheckQueue, positionsOf, type QueueSnapshot } from './CheckQueue.js';

/**
 * How many bandwidth measurements the server runs at once, from its own capacity: a check sends
 * the camera at `targetKbps` (1.25 × the larger bitrate threshold) and the server loops it back,
 * so one check moves about 2 × targetKbps through a worker; each worker gives the checks
 * `workerBudgetKbps`. limit = workers × floor(workerBudgetKbps / (2 × targetKbps)), at least 1.
 * With the defaults (1875 kbps target, 20 000 kbps a worker): 5 a worker, 10 on two cores.
 */
export function defaultCheckLimit(o: {
  workers: number;
  workerBudgetKbps: number;
  minUplinkKbps: number;
  minDownlinkKbps: number;
}): number {
  const targetKbps = Math.max(o.minUplinkKbps, o.minDownlinkKbps) * 1.25;
  return Math.max(1, o.workers * Math.floor(o.workerBudgetKbps / (2 * targetKbps)));
}

export interface CheckWavesOptions {
  queue: CheckQueue;
  limit: number;
  /** Expected duration of one check before any finished in the window (ms). */
  defaultCheckMs: number;
  /** Sites whose readiness says connected, in the meeting's order (the line at opening). */
  onlineSites(meetingId: string): Promise<string[]>;
  siteCount(meetingId: string): Promise<number>;
  /** Does this node run the meeting's live session (the only one that can reach its pages)? */
  hosts(meetingId: string): boolean;
  notify<N extends NotificationName>(
    meetingId: string,
    name: N,
    payload: NotificationPayload<N>,
    to: { roles?: EndpointRole[]; siteId?: string },
  ): void;
  logger: Logger;
  /** How often the hosting node hands out freed or expired slots and refreshes the ETAs. */
  tickMs?: number;
  now?: () => number;
}

const reasons = {
  window: {
    vi: 'Đến lượt kiểm tra kỹ thuật của điểm cầu',
    en: 'It is your site’s turn for the technical check',
  },
  recheck: { vi: 'Kiểm tra lại trước giờ khai mạc', en: 'Re-check before the opening' },
} as const;

/**
 * The check window in waves: the queue (Redis) plus the pushes that go with it. The node that
 * hosts a meeting's session hands out the slots (it alone reaches the pages): at once when a
 * check ends or a site arrives, and on a tick for slots whose page hung. Waiting sites get their
 * place and expected wait; IT and the chair get the window's progress.
 */
export class CheckWaves {
  private readonly log: Logger;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  /** Meetings whose queue this node served lately; dropped once their queue is gone. */
  private readonly watched = new Set<string>();
  private readonly sent = new Map<string, string>();
  private readonly measureMs = new Map<string, number>();
  private readonly pushing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly o: CheckWavesOptions) {
    this.log = o.logger.child({ component: 'check-waves' });
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => void this.tick(), o.tickMs ?? 1000);
    this.timer.unref();
  }

  get limit(): number {
    return this.o.limit;
  }

  get queue(): CheckQueue {
    return this.o.queue;
  }

  /** The window opened: the connected sites line up; the first `limit` are called. */
  async open(
    meetingId: string,
    kind: 'window' | 'recheck',
    closesAtMs: number,
    measureMs?: number,
  ): Promise<void> {
    const sites = await this.o.onlineSites(meetingId);
    await this.o.queue.open(meetingId, {
      kind,
      limit: this.o.limit,
      sites,
      closesAtMs,
      defaultMs: this.o.defaultCheckMs,
      // Three expected checks: a page that hung gives its slot back, a slow one keeps it.
      leaseMs: Math.max(60_000, 3 * this.o.defaultCheckMs),
    });
    if (measureMs !== undefined) this.measureMs.set(meetingId, measureMs);
    else this.measureMs.delete(meetingId);
    this.clearSent(meetingId);
    this.log.info(
      { meetingId, kind, sites: sites.length, limit: this.o.limit },
      'check queue open',
    );
    await this.kick(meetingId);
  }

  async end(meetingId: string): Promise<void> {
    await this.o.queue.close(meetingId);
    this.watched.delete(meetingId);
    this.measureMs.delete(meetingId);
    this.clearSent(meetingId);
    await this.pushProgress(meetingId, undefined);
  }

  /** A site's page connected. True when the queue took care of it (else: no waves running). */
  async connected(meetingId: string, siteId: string): Promise<boolean> {
    const r = await this.o.queue.arrive(meetingId, siteId);
    if (r === 'none') return false;
    this.sent.delete(`${meetingId}|${siteId}`);
    await this.kick(meetingId);
    return true;
  }

  async left(meetingId: string, siteId: string): Promise<void> {
    await this.o.queue.away(meetingId, siteId);
    await this.kick(meetingId);
  }

  /** The check ended, with a verdict (its duration) or without (aborted): the slot is free. */
  async finished(meetingId: string, siteId: string, durationMs?: number): Promise<void> {
    await this.o.queue.finish(meetingId, siteId, durationMs);
    await this.kick(meetingId);
  }

  /**
   * A page asks to begin a check: allowed when it holds a slot, or gets a free one now; else it
   * joins the line (a site already checked goes to the end) and is refused with its place.
   */
  async admit(meetingId: string, siteId: string): Promise<void> {
    const { queue } = this.o;
    if (!(await queue.isOpen(meetingId))) return;
    if (await queue.isActive(meetingId, siteId)) return;
    await queue.arrive(meetingId, siteId, true);
    await this.kick(meetingId, siteId);
    if (await queue.isActive(meetingId, siteId)) return;
    const snap = await queue.snapshot(meetingId);
    if (!snap) return;
    const pos = positionsOf(snap).get(siteId) ?? { position: 1, etaMs: snap.meanMs };
    throw conflict(queueText(pos), { reason: 'check_queued', ...pos });
  }

  /** Hands out free slots (hosting node only) and pushes places and progress. */
  private async kick(meetingId: string, except?: string): Promise<void> {
    if (this.closed || !this.o.hosts(meetingId)) return;
    this.watched.add(meetingId);
    const { granted, expired } = await this.o.queue.pump(meetingId);
    if (expired.length > 0)
      this.log.warn({ meetingId, sites: expired }, 'check slots taken back: no result in time');
    if (granted.length > 0) {
      const snap = await this.o.queue.snapshot(meetingId);
      const kind = snap?.kind ?? 'window';
      const measureMs = this.measureMs.get(meetingId);
      for (const siteId of granted) {
        this.sent.delete(`${meetingId}|${siteId}`);
        if (siteId === except) continue;
        this.o.notify(
          meetingId,
          'checkRequested',
          { kind, reason: reasons[kind], ...(measureMs !== undefined ? { measureMs } : {}) },
          { siteId },
        );
        this.o.notify(meetingId, 'checkQueued', { state: 'none' }, { siteId });
      }
      this.log.info({ meetingId, sites: granted }, 'check slots given');
    }
    this.schedulePush(meetingId);
  }

  /** Places and progress, at most one push under way per meeting (a burst of events coalesces). */
  private schedulePush(meetingId: string): void {
    if (this.closed || this.pushing.has(meetingId)) return;
    const p = new Promise<void>((r) => setTimeout(r, 100))
      .then(() => this.pushMeeting(meetingId))
      .catch((err) => this.log.warn({ err, meetingId }, 'check queue push failed'))
      .finally(() => this.pushing.delete(meetingId));
    this.pushing.set(meetingId, p);
  }

  private async pushMeeting(meetingId: string): Promise<void> {
    const snap = await this.o.queue.snapshot(meetingId);
    if (!snap) return;
    for (const [siteId, pos] of positionsOf(snap)) {
      const payload: CheckQueued = { state: 'waiting', ...pos };
      const key = `${meetingId}|${siteId}`;
      const json = JSON.stringify(payload);
      if (this.sent.get(key) === json) continue;
      this.sent.set(key, json);
      this.o.notify(meetingId, 'checkQueued', payload, { siteId });
    }
    await this.pushProgress(meetingId, snap);
  }

  async progress(meetingId: string, snap?: QueueSnapshot): Promise<CheckProgress> {
    const s = snap ?? (await this.o.queue.snapshot(meetingId));
    const total = await this.o.siteCount(meetingId);
    if (!s)
      return {
        meetingId,
        active: false,
        limit: this.o.limit,
        total,
        checked: 0,
        checking: 0,
        waiting: 0,
        offline: 0,
        meanCheckMs: this.o.defaultCheckMs,
      };
    const waiting = s.waiting.filter((w) => w.online).length;
    const checking = s.active.length;
    const checked = s.done.size;
    const waves = Math.ceil(waiting / s.limit);
    const leftMs = waves * s.meanMs + (checking > 0 ? Math.round(s.meanMs / 2) : 0);
    return {
      meetingId,
      active: true,
      kind: s.kind,
      limit: s.limit,
      total,
      checked,
      checking,
      waiting,
      offline: Math.max(0, total - checked - checking - waiting),
      meanCheckMs: s.meanMs,
      openedAt: new Date(s.openedAt).toISOString(),
      expectedEndAt: new Date(this.now() + leftMs).toISOString(),
    };
  }

  private async pushProgress(meetingId: string, snap: QueueSnapshot | undefined): Promise<void> {
    const p = await this.progress(meetingId, snap);
    // The expected end moves with the clock; push it when the counts change or every 10 s.
    const { expectedEndAt: _end, ...counts } = p;
    const key = `${meetingId}|progress`;
    const sig = `${JSON.stringify(counts)}|${Math.floor(this.now() / 10_000)}`;
    if (this.sent.get(key) === sig) return;
    this.sent.set(key, sig);
    this.o.notify(meetingId, 'checkProgress', p, { roles: ['it', 'chair'] });
  }

  private clearSent(meetingId: string): void {
    for (const k of [...this.sent.keys()]) if (k.startsWith(`${meetingId}|`)) this.sent.delete(k);
  }

  /** Slots freed by a page that hung, ETAs that moved, queues that outlived their window. */
  private async tick(): Promise<void> {
    for (const meetingId of [...this.watched]) {
      try {
        if (!(await this.o.queue.isOpen(meetingId))) {
          // A session hosted here stays watched: a window opened by another node's job starts
          // with no event on this one.
          if (!this.o.hosts(meetingId)) this.watched.delete(meetingId);
          this.clearSent(meetingId);
          continue;
        }
        await this.kick(meetingId);
      } catch (err) {
        this.log.warn({ err, meetingId }, 'check queue tick failed');
      }
    }
  }

  /** A session opened on this node: serve its queue if a window is running in waves. */
  watch(meetingId: string): void {
    this.watched.add(meetingId);
  }

  /** Stops the ticks; pushes under way finish (awaited by `closed()`). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pushing.values()]);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }
}
