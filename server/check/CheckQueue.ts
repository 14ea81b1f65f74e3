import type { Redis } from 'ioredis';
import type { RedisStore } from '../store/RedisStore.js';

/*
 * The check window's queue, in Redis so every node sees it and it survives a restart. Per
 * meeting (keys under meeting:<id>:check-queue:*):
 *   meta     HASH  limit, kind, openedAt, leaseMs, defaultMs, durSum, durCount, seq
 *   waiting  ZSET  siteId → ticket (first come, first served; a returning site keeps its ticket)
 *   active   ZSET  siteId → lease expiry (ms): the sites measuring now (at most `limit`)
 *   offline  SET   sites whose page is gone: skipped while waiting, never blocking the others
 *   done     SET   sites with a verdict in this window
 *   tickets  HASH  siteId → ticket
 * Every change runs as one Lua script, so two nodes never hand out the same slot.
 */

const PARTS = ['meta', 'waiting', 'active', 'offline', 'done', 'tickets'] as const;
type Part = (typeof PARTS)[number];

// KEYS: meta waiting active offline done tickets; ARGV[1] = now (ms).
/** Expired leases leave; free slots go to the oldest tickets whose page is connected. */
const PUMP = `
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or '0')
if limit == 0 then return {{}, {}} end
local now = tonumber(ARGV[1])
local lease = tonumber(redis.call('HGET', KEYS[1], 'leaseMs') or '60000')
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, s in ipairs(expired) do redis.call('ZREM', KEYS[3], s) end
local free = limit - redis.call('ZCARD', KEYS[3])
local granted = {}
if free > 0 then
  for _, s in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if free <= 0 then break end
    if redis.call('SISMEMBER', KEYS[4], s) == 0 then
      redis.call('ZREM', KEYS[2], s)
      redis.call('ZADD', KEYS[3], now + lease, s)
      table.insert(granted, s)
      free = free - 1
    end
  end
end
return {granted, expired}
`;

/** ARGV[1] = site, ARGV[2] = 1 to start again after a verdict. A site (re)joins the line. */
const ARRIVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local s = ARGV[1]
redis.call('SREM', KEYS[4], s)
if redis.call('ZSCORE', KEYS[3], s) or redis.call('ZSCORE', KEYS[2], s) then return 1 end
if redis.call('SISMEMBER', KEYS[5], s) == 1 then
  if ARGV[2] ~= '1' then return 2 end
  redis.call('SREM', KEYS[5], s)
  redis.call('HDEL', KEYS[6], s)
end
local ticket = redis.call('HGET', KEYS[6], s)
if not ticket then
  ticket = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('HSET', KEYS[6], s, ticket)
end
redis.call('ZADD', KEYS[2], ticket, s)
return 1
`;

/** ARGV[1] = site. Its page went away: skipped while waiting; a running check goes back in line. */
const AWAY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local s = ARGV[1]
redis.call('SADD', KEYS[4], s)
local ticket = redis.call('HGET', KEYS[6], s)
if ticket and redis.call('SISMEMBER', KEYS[5], s) == 0 then
  redis.call('ZREM', KEYS[3], s)
  redis.call('ZADD', KEYS[2], ticket, s)
end
return 1
`;

/** ARGV[1] = site, ARGV[2] = duration (ms) or '' when the check ended without a verdict. */
const FINISH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local s = ARGV[1]
redis.call('ZREM', KEYS[3], s)
if ARGV[2] ~= '' then
  redis.call('ZREM', KEYS[2], s)
  redis.call('SADD', KEYS[5], s)
  redis.call('HINCRBY', KEYS[1], 'durSum', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'durCount', 1)
end
return 1
`;

export interface QueueOpen {
  kind: 'window' | 'recheck';
  limit: number;
  /** Connected sites when the window opens, in the order they are served. */
  sites: readonly string[];
  /** The keys go when the window would have closed (plus an hour), whatever happens. */
  closesAtMs: number;
  /** Expected duration of one check before any finished (ms). */
  defaultMs: number;
  /** A slot not given back within this long is taken back (a page that hung). */
  leaseMs: number;
}

export interface QueueSnapshot {
  kind: 'window' | 'recheck';
  limit: number;
  openedAt: number;
  meanMs: number;
  /** Waiting sites in serving order, with whether their page is connected. */
  waiting: { siteId: string; online: boolean }[];
  active: string[];
  done: Set<string>;
  offline: Set<string>;
}

export interface Position {
  position: number;
  etaMs: number;
}

/** Where a waiting site stands: connected sites ahead of it, and the time they take in waves. */
export function positionsOf(q: QueueSnapshot): Map<string, Position> {
  const out = new Map<string, Position>();
  let n = 0;
  for (const w of q.waiting) {
    if (!w.online) continue;
    n++;
    // The sites ahead plus this one go in waves of `limit`; a wave lasts one mean check.
    out.set(w.siteId, { position: n, etaMs: Math.ceil(n / q.limit) * q.meanMs });
  }
  return out;
}

export class CheckQueue {
  constructor(
    private readonly store: RedisStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The queue's own keys, read and written directly: every change is one script or MULTI. */
  private redis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    return fn(this.store.redis);
  }

  private keys(meetingId: string): string[] {
    const base = this.store.keys.meeting(meetingId);
    return PARTS.map((p: Part) => `${base}:check-queue:${p}`);
  }

  private run(script: string, meetingId: string, ...args: (string | number)[]) {
    const keys = this.keys(meetingId);
    return this.redis((r) => r.eval(script, keys.length, ...keys, ...args));
  }

  /** A new window: the previous queue goes, the connected sites line up in the given order. */
  async open(meetingId: string, o: QueueOpen): Promise<void> {
    const [meta, waiting, , , , tickets] = this.keys(meetingId);
    const expireAt = o.closesAtMs + 3600_000;
    await this.redis(async (r) => {
      const m = r.multi().del(...this.keys(meetingId));
      m.hset(meta!, {
        limit: o.limit,
        kind: o.kind,
        openedAt: this.now(),
        leaseMs: o.leaseMs,
        defaultMs: o.defaultMs,
        durSum: 0,
        durCount: 0,
        seq: o.sites.length,
      });
      o.sites.forEach((s, i) => {
        m.zadd(waiting!, i + 1, s);
        m.hset(tickets!, s, i + 1);
      });
      for (const k of this.keys(meetingId)) m.pexpireat(k, expireAt);
      await m.exec();
    });
  }

  async close(meetingId: string): Promise<void> {
    await this.redis((r) => r.del(...this.keys(meetingId)));
  }

  /** Is a queue running for this meeting (a window in waves)? */
  async isOpen(meetingId: string): Promise<boolean> {
    const [meta] = this.keys(meetingId);
    return (await this.redis((r) => r.exists(meta!))) === 1;
  }

  /** Gives free slots to the first connected sites in line; returns them (and expired leases). */
  async pump(meetingId: string): Promise<{ granted: string[]; expired: string[] }> {
    const [granted, expired] = (await this.run(PUMP, meetingId, this.now())) as [
      string[],
      string[],
    ];
    return { granted, expired };
  }

  /**
   * The site's page is connected and wants a check: it joins the line (keeping its ticket if it
   * had one). `again` puts a site that already has a verdict back in line (at the end).
   * Returns 'queued' (in line or measuring), 'done' (already checked), or 'none' (no queue).
   */
  async arrive(
    meetingId: string,
    siteId: string,
    again = false,
  ): Promise<'queued' | 'done' | 'none'> {
    const r = Number(await this.run(ARRIVE, meetingId, siteId, again ? '1' : '0'));
    return r === 1 ? 'queued' : r === 2 ? 'done' : 'none';
  }

  /** The site's page left: it keeps its place but is skipped until it is back. */
  async away(meetingId: string, siteId: string): Promise<void> {
    await this.run(AWAY, meetingId, siteId);
  }

  /** The check ended: with a verdict (durationMs) the site is done; without, its slot is free. */
  async finish(meetingId: string, siteId: string, durationMs?: number): Promise<void> {
    await this.run(
      FINISH,
      meetingId,
      siteId,
      durationMs === undefined ? '' : Math.max(0, Math.round(durationMs)),
    );
  }

  async isActive(meetingId: string, siteId: string): Promise<boolean> {
    const [, , active] = this.keys(meetingId);
    return (await this.redis((r) => r.zscore(active!, siteId))) !== null;
  }

  async snapshot(meetingId: string): Promise<QueueSnapshot | undefined> {
    const [meta, waiting, active, offline, done] = this.keys(meetingId);
    const res = await this.redis((r) =>
      r
        .multi()
        .hgetall(meta!)
        .zrange(waiting!, 0, -1)
        .zrange(active!, 0, -1)
        .smembers(offline!)
        .smembers(done!)
        .exec(),
    );
    const [m, w, a, off, d] = (res ?? []).map(([, v]) => v) as [
      Record<string, string>,
      string[],
      string[],
      string[],
      string[],
    ];
    if (!m?.limit) return undefined;
    const offlineSet = new Set(off);
    const count = Number(m.durCount ?? 0);
    return {
      kind: m.kind === 'recheck' ? 'recheck' : 'window',
      limit: Number(m.limit),
      openedAt: Number(m.openedAt),
      meanMs: count > 0 ? Math.round(Number(m.durSum) / count) : Number(m.defaultMs),
      waiting: w.map((siteId) => ({ siteId, online: !offlineSet.has(siteId) })),
      active: a,
      done: new Set(d),
      offline: offlineSet,
    };
  }
}
