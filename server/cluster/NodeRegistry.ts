import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Keys } from '../store/keys.js';

/** What a node carries now; placement sends a new meeting to the lightest node. */
export const nodeLoadSchema = z.object({
  sessions: z.int().nonnegative(),
  endpoints: z.int().nonnegative(),
  consumers: z.int().nonnegative(),
  /** Media workers' CPU over the last few seconds, percent of one core (averaged over workers). */
  workerCpu: z.number().nonnegative().default(0),
});
export type NodeLoad = z.infer<typeof nodeLoadSchema>;

export const nodeRecordSchema = z.object({
  id: z.string().min(1),
  /** Where browsers open socket.io on this node (not the load balancer's address). */
  url: z.url(),
  /** The address this node's media workers announce in ICE candidates. */
  mediaAddress: z.string().min(1),
  startedAt: z.int(),
  heartbeatAt: z.int(),
  load: nodeLoadSchema,
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

export interface NodeRegistryOptions {
  redis: Redis;
  keys: Keys;
  logger: Logger;
  node: Pick<NodeRecord, 'id' | 'url' | 'mediaAddress'>;
  load(): NodeLoad;
  /** The record lives this long without a heartbeat (ms). */
  ttlMs: number;
  /** A heartbeat this often (ms); default a third of the TTL. */
  heartbeatMs?: number;
}

/** Deletes a node's record only if it still holds the heartbeat that was judged. */
const EVICT = `local raw = redis.call('GET', KEYS[1])
if raw and string.find(raw, ARGV[1], 1, true) then
  redis.call('DEL', KEYS[1]) redis.call('SREM', KEYS[2], ARGV[2]) return 1 end return 0`;

/** CPU in steps of 10 %: idle nodes' jitter (0.3 % against 0.5 %) must not reorder them. */
const cpuStep = (percent: number) => Math.floor(percent / 10) * 10;

/**
 * One load figure for ordering: consumers dominate an SFU's cost, endpoints and sessions break
 * ties; a busy worker (other processes on the host, a composer) counts as much as 2 consumers
 * per percent of a core, counted in steps of 10 %.
 */
export const loadScore = (l: NodeLoad): number =>
  l.consumers + 4 * l.endpoints + 10 * l.sessions + 2 * cpuStep(l.workerCpu);

/**
 * This process's entry in the shared Redis: a record with a TTL refreshed by a heartbeat, and
 * its id in a set of nodes. A node that stops (or dies) disappears when its record expires;
 * readers skip ids whose record is gone and prune them.
 */
export class NodeRegistry {
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: NodeRegistryOptions) {
    this.log = options.logger.child({ component: 'node-registry', nodeId: options.node.id });
  }

  get id(): string {
    return this.options.node.id;
  }

  get heartbeatMs(): number {
    const { heartbeatMs, ttlMs } = this.options;
    return Math.max(100, Math.min(heartbeatMs ?? ttlMs / 3, ttlMs / 2));
  }

  /**
   * Removes another node's record (found dead) unless it beat since it was read; it registers
   * again at its next heartbeat if it was alive after all.
   */
  async evict(node: NodeRecord): Promise<boolean> {
    const { redis, keys } = this.options;
    const ok = await redis.eval(
      EVICT,
      2,
      keys.clusterNode(node.id),
      keys.clusterNodes,
      `"heartbeatAt":${node.heartbeatAt},`,
      node.id,
    );
    return ok === 1;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(
      () => void this.beat().catch((err) => this.log.warn({ err }, 'node heartbeat failed')),
      this.heartbeatMs,
    );
    this.timer.unref();
    this.log.info({ url: this.options.node.url }, 'node registered');
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    const { redis, keys, node } = this.options;
    const record: NodeRecord = {
      id: node.id,
      url: node.url,
      mediaAddress: node.mediaAddress,
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
      load: this.options.load(),
    };
    await redis
      .multi()
      .set(keys.clusterNode(node.id), JSON.stringify(record), 'PX', this.options.ttlMs)
      .sadd(keys.clusterNodes, node.id)
      .exec();
  }

  /** Nodes whose heartbeat is current; ids whose record expired are removed from the set. */
  async list(): Promise<NodeRecord[]> {
    const { redis, keys } = this.options;
    const ids = await redis.smembers(keys.clusterNodes);
    if (ids.length === 0) return [];
    const raws = await redis.mget(ids.map((id) => keys.clusterNode(id)));
    const nodes: NodeRecord[] = [];
    const gone: string[] = [];
    raws.forEach((raw, i) => {
      const parsed = raw ? nodeRecordSchema.safeParse(JSON.parse(raw)) : undefined;
      if (parsed?.success) nodes.push(parsed.data);
      else gone.push(ids[i]!);
    });
    if (gone.length) await redis.srem(keys.clusterNodes, ...gone);
    return nodes;
  }

  async find(id: string): Promise<NodeRecord | undefined> {
    const raw = await this.options.redis.get(this.options.keys.clusterNode(id));
    const parsed = raw ? nodeRecordSchema.safeParse(JSON.parse(raw)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  /** Leaves the cluster at once (a graceful stop), so no meeting is placed here meanwhile. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const { redis, keys, node } = this.options;
    await redis.multi().del(keys.clusterNode(node.id)).srem(keys.clusterNodes, node.id).exec();
  }
}
