import type { Logger } from '../logger.js';
import type { NodeRecord } from './NodeRegistry.js';

export interface NodeWatchOptions {
  selfId: string;
  /** Nodes whose record has not expired. */
  list(): Promise<NodeRecord[]>;
  /** Whether a process still listens on the node's bus channel (its Redis connection lives). */
  listening(nodeId: string): Promise<boolean>;
  /** Removes the node's record if it still shows this heartbeat (a beat since keeps it). */
  evict(node: NodeRecord): Promise<boolean>;
  /** A node was found dead and evicted. */
  gone(nodeId: string): void;
  /** A node's heartbeat period (ms): a node that missed one is suspect. */
  heartbeatMs: number;
  logger: Logger;
  /** How often the other nodes are looked at (ms). */
  everyMs?: number;
}

/**
 * Finds a dead node well before its record and leases expire, where the evidence is clear: its
 * heartbeat is late AND no process listens on its bus channel any more, at two looks in a row. Redis drops a client's
 * subscriptions the moment its connection closes, which the kernel does when the process dies
 * (SIGKILL, crash, OOM): so a node that is only slow (a long GC, a starved CPU) keeps its
 * subscription and is left alone until its lease runs out, and a node cut off from Redis by the
 * network keeps its connection open on Redis's side until TCP gives up (the lease decides
 * there too). A dead node's record is removed at once; its leases are then void (a lease held by
 * a node without a record is taken over: MeetingPlacement.locate) and its edges close.
 */
export class NodeWatch {
  private readonly timer: NodeJS.Timeout;
  private running = false;
  /** Nodes seen late and unheard at the last look, with the heartbeat they showed. */
  private suspects = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly o: NodeWatchOptions) {
    this.log = o.logger.child({ component: 'node-watch', nodeId: o.selfId });
    this.timer = setInterval(
      () => void this.round(),
      o.everyMs ?? Math.max(100, o.heartbeatMs / 2),
    );
    this.timer.unref();
  }

  /** One look at every other node; returns the ids found dead. */
  async round(now = Date.now()): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    const dead: string[] = [];
    const suspects = new Map<string, number>();
    try {
      for (const node of await this.o.list()) {
        if (node.id === this.o.selfId) continue;
        const late = now - node.heartbeatAt > this.o.heartbeatMs;
        if (!late || (await this.o.listening(node.id))) continue;
        // Twice in a row with no beat between: a connection that only blinked is back by then.
        suspects.set(node.id, node.heartbeatAt);
        if (this.suspects.get(node.id) !== node.heartbeatAt) continue;
        if (!(await this.o.evict(node))) continue;
        this.log.warn(
          { dead: node.id, silentMs: now - node.heartbeatAt },
          'node dead: heartbeat late and its bus connection closed',
        );
        dead.push(node.id);
        this.o.gone(node.id);
      }
      this.suspects = suspects;
    } catch (err) {
      this.log.warn({ err }, 'node watch failed');
    } finally {
      this.running = false;
    }
    return dead;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
