import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Keys } from '../store/keys.js';
import { loadScore, type NodeRecord, type NodeRegistry } from './NodeRegistry.js';

/** Who owns a meeting's live session: a lease with a fencing token (a counter that only grows). */
export const leaseSchema = z.object({
  token: z.int().positive(),
  nodeId: z.string().min(1),
  url: z.url(),
});
export type Lease = z.infer<typeof leaseSchema>;

export interface MeetingPlacementOptions {
  redis: Redis;
  keys: Keys;
  registry: NodeRegistry;
  self: Pick<NodeRecord, 'id' | 'url'>;
  logger: Logger;
  /** A lease not renewed for this long expires and the meeting may move (ms). */
  leaseMs: number;
}

/** The lease is renewed (or a write allowed) only while it still holds exactly our value. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) end return 0`;
const FENCED_SET = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) return 1 end return 0`;
const FENCED_DEL = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[2]) return 1 end return 0`;

/** What admit() decided for a connection: serve it here, or send it to the owner. */
export type Admission = { here: true; lease: Lease } | { here: false; lease: Lease };

interface Held {
  raw: string;
  lease: Lease;
  timer?: NodeJS.Timeout;
}

/**
 * Places each meeting's live session on one node. The first join of a meeting picks the node
 * with the lightest load and records a lease (SET NX PX) with a fencing token (INCR); the owner
 * renews it while its session is open and releases it when the session closes. A node that dies
 * stops renewing; once the lease expires, or as soon as the node is found dead and its record
 * removed (NodeWatch), the next join places the meeting again. Writes of the
 * session's saved state go through the lease: a node that lost it can no longer write.
 */
export class MeetingPlacement {
  private readonly held = new Map<string, Held>();
  private readonly log: Logger;

  constructor(private readonly options: MeetingPlacementOptions) {
    this.log = options.logger.child({ component: 'placement', nodeId: options.self.id });
  }

  async current(meetingId: string): Promise<Lease | undefined> {
    const raw = await this.options.redis.get(this.options.keys.meetingOwner(meetingId));
    return raw ? parseLease(raw) : undefined;
  }

  /**
   * The lease, unless it names a node that no longer has a record (found dead by NodeWatch, or
   * expired): such a lease is removed (only if unchanged) so the meeting can be placed again
   * without waiting for it to expire.
   */
  private async living(meetingId: string): Promise<Lease | undefined> {
    const { redis, keys, registry, self } = this.options;
    const raw = await redis.get(keys.meetingOwner(meetingId));
    const lease = raw ? parseLease(raw) : undefined;
    if (!raw || !lease || lease.nodeId === self.id) return lease;
    if (await registry.find(lease.nodeId)) return lease;
    const removed = await redis.eval(RELEASE, 1, keys.meetingOwner(meetingId), raw);
    if (removed === 1)
      this.log.warn({ meetingId, dead: lease.nodeId }, "a dead node's lease taken back");
    return undefined;
  }

  /** The owner of the meeting's session, placing it by load when it has none. */
  async locate(meetingId: string): Promise<Lease> {
    const { redis, keys } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.living(meetingId);
      if (existing) return existing;
      const node = await this.lightestNode();
      const token = await redis.incr(keys.meetingFence(meetingId));
      const lease: Lease = { token, nodeId: node.id, url: node.url };
      const raw = JSON.stringify(lease);
      const set = await redis.set(
        keys.meetingOwner(meetingId),
        raw,
        'PX',
        this.options.leaseMs,
        'NX',
      );
      if (set === 'OK') {
        this.log.info({ meetingId, owner: node.id, token }, 'meeting placed');
        return lease;
      }
    }
    throw new Error(`could not place meeting ${meetingId}`);
  }

  private async lightestNode(): Promise<Pick<NodeRecord, 'id' | 'url'>> {
    const nodes = await this.options.registry.list();
    let best: NodeRecord | undefined;
    for (const n of nodes) if (!best || loadScore(n.load) < loadScore(best.load)) best = n;
    return best ?? this.options.self;
  }

  /** A connection for this meeting arrived here: serve it if this node owns the session. */
  async admit(meetingId: string): Promise<Admission> {
    const lease = await this.locate(meetingId);
    if (lease.nodeId !== this.options.self.id) return { here: false, lease };
    const held = this.held.get(meetingId);
    if (held?.lease.token !== lease.token) {
      if (held?.timer) clearInterval(held.timer);
      this.held.set(meetingId, { raw: JSON.stringify(lease), lease });
    }
    return { here: true, lease };
  }

  /**
   * Keeps the lease while the session is open. `lost` runs once if another node took it (this
   * node stalled or was cut off); the session must then stop.
   */
  hold(meetingId: string, lost: () => void): () => Promise<void> {
    const held = this.held.get(meetingId);
    if (!held) {
      lost();
      return async () => {};
    }
    const { redis, keys, leaseMs } = this.options;
    const renew = async () => {
      const ok = await redis.eval(RENEW, 1, keys.meetingOwner(meetingId), held.raw, leaseMs);
      if (ok === 1) return;
      this.log.warn({ meetingId, token: held.lease.token }, 'lease lost: the session stops here');
      this.forget(meetingId, held);
      lost();
    };
    if (held.timer) clearInterval(held.timer);
    held.timer = setInterval(
      () => void renew().catch((err) => this.log.warn({ err, meetingId }, 'lease renewal failed')),
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    held.timer.unref();
    void renew().catch((err) => this.log.warn({ err, meetingId }, 'lease renewal failed'));
    return async () => {
      if (this.held.get(meetingId) !== held) return;
      this.forget(meetingId, held);
      await redis.eval(RELEASE, 1, keys.meetingOwner(meetingId), held.raw);
    };
  }

  private forget(meetingId: string, held: Held): void {
    if (held.timer) clearInterval(held.timer);
    if (this.held.get(meetingId) === held) this.held.delete(meetingId);
  }

  /** The fencing token this node holds for the meeting, if any. */
  tokenOf(meetingId: string): number | undefined {
    return this.held.get(meetingId)?.lease.token;
  }

  /** Writes `key` only while this node's lease (and token) is the current one. */
  async fencedSet(meetingId: string, key: string, value: string, exSeconds: number) {
    const held = this.held.get(meetingId);
    if (!held) return false;
    const { redis, keys } = this.options;
    const ok = await redis.eval(
      FENCED_SET,
      2,
      keys.meetingOwner(meetingId),
      key,
      held.raw,
      value,
      exSeconds,
    );
    return ok === 1;
  }

  async fencedDel(meetingId: string, key: string) {
    const held = this.held.get(meetingId);
    if (!held) return false;
    const { redis, keys } = this.options;
    return (await redis.eval(FENCED_DEL, 2, keys.meetingOwner(meetingId), key, held.raw)) === 1;
  }

  /** Releases every lease this node holds (graceful stop: others may take over at once). */
  async releaseAll(): Promise<void> {
    const { redis, keys } = this.options;
    for (const [meetingId, held] of [...this.held]) {
      this.forget(meetingId, held);
      await redis.eval(RELEASE, 1, keys.meetingOwner(meetingId), held.raw).catch(() => undefined);
    }
  }
}

function parseLease(raw: string): Lease | undefined {
  try {
    const parsed = leaseSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
