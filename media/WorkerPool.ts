import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

export interface WorkerPoolOptions {
  numWorkers: number;
  listenIp: string;
  announcedAddress: string;
  /** Worker i's WebRtcServer listens on rtcPortBase + i, UDP and TCP. */
  rtcPortBase: number;
  logLevel: types.WorkerLogLevel;
  logger: MediaLogger;
  /** Delay before a dead worker is replaced (ms); its port must be released first. */
  respawnDelayMs?: number;
}

/** One slot of the pool: the slot keeps its index and port across worker replacements. */
export interface PoolWorker {
  readonly index: number;
  readonly worker: types.Worker;
  readonly webRtcServer: types.WebRtcServer;
  readonly port: number;
  /** Consumers currently open on this worker's routers; the room uses it to spread load. */
  consumers: number;
  /** Its open routers, for dumps. */
  readonly routers: Set<types.Router>;
}

/** What a worker holds by its own account (its routers' dumps), for leak checks. */
export interface WorkerObjects {
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}

export interface WorkerPoolEvents {
  /** A worker died; its routers and everything below them are closed already. */
  workerDied: [slot: PoolWorker, error: Error];
  /** A replacement worker is ready in the same slot (same port). */
  workerReplaced: [slot: PoolWorker];
}

/**
 * Owns the mediasoup workers: one per core, each with a WebRtcServer on one fixed port.
 * A worker that dies is replaced in its slot; owners of routers listen for workerReplaced.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: (PoolWorker | undefined)[];
  private closed = false;
  private readonly log: MediaLogger;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  private constructor(private readonly options: WorkerPoolOptions) {
    super();
    this.slots = new Array(options.numWorkers).fill(undefined);
    this.log = options.logger.child({ component: 'worker-pool' });
    // Every join that arrives while a dead worker is being replaced waits once for
    // workerReplaced (Room.waitForWorker): hundreds at once after a crash, not a leak.
    this.setMaxListeners(0);
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!existsSync(mediasoup.workerBin)) {
      throw new Error(
        `mediasoup-worker not found at ${mediasoup.workerBin}: run "bash scripts/setup.sh" (it builds the worker) or set MEDIASOUP_WORKER_BIN`,
      );
    }
    const pool = new WorkerPool(options);
    try {
      for (let i = 0; i < options.numWorkers; i++) await pool.startSlot(i);
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Slots with a live worker. */
  get workers(): PoolWorker[] {
    return this.slots.filter((s): s is PoolWorker => s !== undefined && !s.worker.closed);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  slot(index: number): PoolWorker | undefined {
    const s = this.slots[index];
    return s && !s.worker.closed ? s : undefined;
  }

  /**
   * Counts read from the worker process itself (worker and router dumps), not from the Node
   * side's bookkeeping: a soak compares them with the endpoints present to find leaks.
   */
  async objects(index: number): Promise<WorkerObjects | undefined> {
    const slot = this.slot(index);
    if (!slot) return undefined;
    const { routerIds } = await slot.worker.dump();
    const out: WorkerObjects = {
      routers: routerIds.length,
      transports: 0,
      producers: 0,
      consumers: 0,
    };
    for (const router of slot.routers) {
      if (router.closed) continue;
      const d = await router.dump();
      out.transports += d.transportIds.length;
      out.producers += d.mapProducerIdConsumerIds.length;
      out.consumers += d.mapConsumerIdProducerId.length;
    }
    return out;
  }

  /** The live worker with the fewest consumers, optionally excluding some slots. */
  leastLoaded(exclude: ReadonlySet<number> = new Set()): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const s of this.workers) {
      if (exclude.has(s.index)) continue;
      if (!best || s.consumers < best.consumers) best = s;
    }
    return best;
  }

  private async startSlot(index: number): Promise<PoolWorker> {
    const { listenIp, announcedAddress, rtcPortBase, logLevel } = this.options;
    const port = rtcPortBase + index;
    const worker = await mediasoup.createWorker({
      logLevel,
      logTags: ['info', 'ice', 'dtls', 'srtp', 'rtcp'],
      disableLiburing: true,
      appData: { index },
    });
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: listenIp, announcedAddress, port },
          { protocol: 'tcp', ip: listenIp, announcedAddress, port },
        ],
      });
    } catch (err) {
      worker.close();
      throw new Error(
        `Cannot listen on RTC port ${port} (UDP/TCP) for mediasoup worker ${index}: ${(err as Error).message}`,
      );
    }
    const slot: PoolWorker = {
      index,
      worker,
      webRtcServer,
      port,
      consumers: 0,
      routers: new Set(),
    };
    worker.observer.on('newrouter', (router) => {
      slot.routers.add(router);
      router.observer.once('close', () => slot.routers.delete(router));
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newconsumer', (consumer) => {
          slot.consumers++;
          consumer.observer.once('close', () => {
            slot.consumers--;
          });
        });
      });
    });
    worker.on('died', (error) => this.onWorkerDied(slot, error));
    this.slots[index] = slot;
    this.log.info({ index, pid: worker.pid, port }, 'mediasoup worker started');
    return slot;
  }

  private onWorkerDied(slot: PoolWorker, error: Error): void {
    if (this.closed) return;
    this.log.error(
      { index: slot.index, pid: slot.worker.pid, err: error },
      'mediasoup worker died',
    );
    if (this.slots[slot.index] === slot) this.slots[slot.index] = undefined;
    this.emit('workerDied', slot, error);
    this.scheduleRespawn(slot.index, 1);
  }

  private scheduleRespawn(index: number, attempt: number): void {
    const delay =
      attempt === 1 ? (this.options.respawnDelayMs ?? 100) : Math.min(5000, 250 * 2 ** attempt);
    const timer = setTimeout(async () => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      try {
        const slot = await this.startSlot(index);
        if (this.closed) {
          slot.worker.close();
          return;
        }
        this.emit('workerReplaced', slot);
      } catch (err) {
        this.log.error({ index, attempt, err }, 'mediasoup worker could not be replaced, retrying');
        this.scheduleRespawn(index, attempt + 1);
      }
    }, delay);
    this.respawnTimers.add(timer);
  }

  /** Closes every worker (and so every router, transport, producer and consumer). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.respawnTimers) clearTimeout(t);
    this.respawnTimers.clear();
    for (const s of this.slots) s?.worker.close();
    this.log.info('mediasoup workers closed');
    this.removeAllListeners();
  }

  /** Resolves when every worker process has exited (tests assert nothing is left behind). */
  async waitForExit(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pids = this.slots
      .map((s) => s?.worker.pid)
      .filter((p): p is number => typeof p === 'number');
    for (const pid of pids) {
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
