import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { type EndpointAppData, MediaEndpoint } from './MediaEndpoint.js';
import type { MediaLogger } from './MediaLogger.js';
import { mediaCodecs } from './mediaCodecs.js';
import type { PoolWorker, WorkerPool } from './WorkerPool.js';

export interface RoomOptions {
  id: string;
  pool: WorkerPool;
  logger: MediaLogger;
  /** Consumers one router may serve before the room spreads onto another worker. */
  maxConsumersPerRouter: number;
  /** Consumers one endpoint may hold. Default 1024. */
  maxConsumersPerEndpoint?: number;
  /** Video producers pass keyframe requests to their sender at most once per this (ms). */
  keyFrameRequestDelayMs?: number;
}

export interface RoomEvents {
  /** An endpoint's transports were lost with its worker; it must re-create them. */
  endpointMediaLost: [endpointId: string, reason: string];
  /** The loudest speaker changed (undefined: silence). */
  activeSpeaker: [endpointId: string | undefined];
  closed: [reason: string];
}

interface RouterEntry {
  workerIndex: number;
  router: types.Router;
  speakerObserver: types.ActiveSpeakerObserver;
  /** Producers of other routers piped into this one (or being piped: concurrent consumers await the same pipe). */
  piped: Map<string, Promise<void>>;
}

/** Fraction of capacity at which a room prefers opening a router on another worker. */
const SPREAD_AT = 0.8;
/** An endpoint is placed before it consumes anything; assume this many consumers for it. */
const EXPECTED_CONSUMERS_PER_ENDPOINT = 4;

/**
 * One live meeting's media. Starts on one router; when consumers approach a router's capacity
 * it opens routers on other workers and pipes producers across (pipeToRouter), so one meeting
 * can use every core. Knows nothing of who should receive what: signaling/ decides that.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly id: string;
  /** This room among the meeting's rooms over time on this node: pipes are addressed to it. */
  readonly epoch = randomUUID();
  private readonly routers = new Map<number, RouterEntry>();
  private readonly creatingRouter = new Map<number, Promise<RouterEntry>>();
  private readonly endpoints = new Map<string, MediaEndpoint>();
  /** Producers of other nodes (cascade) → the worker index of the router they arrive on. */
  private readonly foreign = new Map<string, number>();
  private readonly log: MediaLogger;
  private closed = false;
  private readonly onWorkerDied = (slot: PoolWorker) => this.handleWorkerDied(slot);

  private constructor(
    private readonly options: RoomOptions,
    readonly rtpCapabilities: types.RtpCapabilities,
  ) {
    super();
    this.id = options.id;
    this.log = options.logger.child({ component: 'room', meetingId: options.id });
    options.pool.on('workerDied', this.onWorkerDied);
  }

  static async create(options: RoomOptions): Promise<Room> {
    const slot = options.pool.leastLoaded();
    if (!slot) throw new Error('no mediasoup worker is running');
    const first = await slot.worker.createRouter({ mediaCodecs, appData: { roomId: options.id } });
    const room = new Room(options, first.rtpCapabilities);
    await room.adoptRouter(slot.index, first);
    return room;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Worker index → number of endpoints it serves; shows how a meeting is spread. */
  get routerLoad(): Map<number, { endpoints: number; consumers: number }> {
    const load = new Map<number, { endpoints: number; consumers: number }>();
    for (const index of this.routers.keys()) load.set(index, { endpoints: 0, consumers: 0 });
    for (const ep of this.endpoints.values()) {
      const l = load.get(ep.workerIndex);
      if (l) {
        l.endpoints++;
        l.consumers += ep.consumers.size;
      }
    }
    return load;
  }

  /**
   * The router where producers of other nodes arrive (a cascaded meeting): the first one open.
   * Consumers on the room's other routers get them through pipeToRouter, like any producer.
   */
  pipeTarget(): { router: types.Router; workerIndex: number } | undefined {
    for (const entry of this.routers.values())
      if (!entry.router.closed) return { router: entry.router, workerIndex: entry.workerIndex };
    return undefined;
  }

  /** A producer piped in from another node onto the router of `workerIndex`. */
  adoptForeign(producer: types.Producer, workerIndex: number): void {
    this.foreign.set(producer.id, workerIndex);
    // A site speaking on another node is the active speaker here too.
    if (producer.kind === 'audio')
      void this.routers
        .get(workerIndex)
        ?.speakerObserver.addProducer({ producerId: producer.id })
        .catch(() => {});
    producer.observer.once('close', () => {
      if (this.foreign.get(producer.id) === workerIndex) this.foreign.delete(producer.id);
    });
  }

  endpoint(id: string): MediaEndpoint | undefined {
    return this.endpoints.get(id);
  }

  get endpointIds(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Media for one endpoint on the router with room to spare; replaces an earlier one with the same id. */
  async addEndpoint(id: string): Promise<MediaEndpoint> {
    this.assertOpen();
    this.endpoints.get(id)?.close('replaced');
    const entry = await this.pickRouter();
    this.assertOpen();
    const slot = this.options.pool.slot(entry.workerIndex);
    if (!slot) throw new Error('the worker serving this meeting just stopped; try again');
    const endpoint: MediaEndpoint = new MediaEndpoint({
      id,
      router: entry.router,
      webRtcServer: slot.webRtcServer,
      workerIndex: entry.workerIndex,
      logger: this.log,
      ...(this.options.keyFrameRequestDelayMs !== undefined
        ? { keyFrameRequestDelayMs: this.options.keyFrameRequestDelayMs }
        : {}),
      ...(this.options.maxConsumersPerEndpoint
        ? { limits: { maxConsumers: this.options.maxConsumersPerEndpoint } }
        : {}),
      onClose: () => {
        if (this.endpoints.get(id) === endpoint) this.endpoints.delete(id);
      },
    });
    this.endpoints.set(id, endpoint);
    this.log.debug({ endpointId: id, worker: entry.workerIndex }, 'endpoint placed');
    return endpoint;
  }

  removeEndpoint(id: string, reason: string): void {
    this.endpoints.get(id)?.close(reason);
  }

  /** Audio producers feed the active-speaker observer of their router. */
  async observeAudio(producer: types.Producer): Promise<void> {
    await this.entryOf(producer)
      ?.speakerObserver.addProducer({ producerId: producer.id })
      .catch(() => {});
  }

  private entryOf(producer: types.Producer): RouterEntry | undefined {
    const owner = this.endpoints.get((producer.appData as EndpointAppData).endpointId);
    return owner ? this.routers.get(owner.workerIndex) : undefined;
  }

  /**
   * A paused consumer of `producer` on `consumer`'s receive transport, piping the producer
   * into the consumer's router first when they differ.
   */
  async consume(
    consumer: MediaEndpoint,
    producer: types.Producer<EndpointAppData>,
    options: { appData?: Partial<EndpointAppData>; preferredLayers?: types.ConsumerLayers } = {},
  ): Promise<types.Consumer<EndpointAppData> | undefined> {
    const existing = consumer.consumerOf(producer.id);
    if (existing) return existing;
    const transport = consumer.recvTransport();
    if (!transport || !consumer.rtpCapabilities) return undefined;
    return this.consumeOn(consumer, transport, consumer.rtpCapabilities, producer, options);
  }

  /**
   * The same on a transport the caller picks (a room system's PlainTransport, which receives
   * the programme on the port it sends from), with the capabilities of what is behind it.
   */
  async consumeOn(
    consumer: MediaEndpoint,
    transport: types.Transport,
    rtpCapabilities: types.RtpCapabilities,
    producer: types.Producer,
    options: { appData?: Partial<EndpointAppData>; preferredLayers?: types.ConsumerLayers } = {},
  ): Promise<types.Consumer<EndpointAppData> | undefined> {
    consumer.assertConsumerRoom();
    const from =
      this.endpoints.get((producer.appData as EndpointAppData).endpointId)?.workerIndex ??
      this.foreign.get(producer.id);
    if (from === undefined) return undefined;
    if (from !== consumer.workerIndex) await this.pipe(producer, from, consumer);
    if (!consumer.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      return undefined;
    }
    const created = await transport.consume<EndpointAppData>({
      producerId: producer.id,
      rtpCapabilities,
      paused: true,
      ...(options.preferredLayers ? { preferredLayers: options.preferredLayers } : {}),
      appData: { endpointId: consumer.id, ...options.appData },
    });
    if (consumer.isClosed) {
      created.close();
      return undefined;
    }
    consumer.addConsumer(created);
    return created;
  }

  private pipe(producer: types.Producer, fromWorker: number, to: MediaEndpoint): Promise<void> {
    const target = this.routers.get(to.workerIndex);
    const source = this.routers.get(fromWorker);
    if (!target || !source) return Promise.resolve();
    let piping = target.piped.get(producer.id);
    if (!piping) {
      piping = source.router
        .pipeToRouter({ producerId: producer.id, router: to.router })
        .then(({ pipeProducer }) => {
          pipeProducer?.observer.once('close', () => target.piped.delete(producer.id));
        })
        .catch((err: unknown) => {
          target.piped.delete(producer.id);
          throw err;
        });
      target.piped.set(producer.id, piping);
    }
    return piping;
  }

  private async pickRouter(): Promise<RouterEntry> {
    const capacity = this.options.maxConsumersPerRouter;
    const load = this.routerLoad;
    let best: RouterEntry | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const entry of this.routers.values()) {
      const l = load.get(entry.workerIndex);
      const consumers = Math.max(
        l?.consumers ?? 0,
        (l?.endpoints ?? 0) * EXPECTED_CONSUMERS_PER_ENDPOINT,
      );
      if (!entry.router.closed && consumers < bestLoad) {
        best = entry;
        bestLoad = consumers;
      }
    }
    if (best && bestLoad < capacity * SPREAD_AT) return best;
    const slot = this.options.pool.leastLoaded(new Set(this.routers.keys()));
    if (slot) return this.routerOn(slot);
    if (best) return best;
    return this.routerOn(await this.waitForWorker());
  }

  private routerOn(slot: PoolWorker): Promise<RouterEntry> {
    const existing = this.routers.get(slot.index);
    if (existing) return Promise.resolve(existing);
    // Concurrent joins must not create two routers on the same worker.
    let creating = this.creatingRouter.get(slot.index);
    if (!creating) {
      creating = (async () => {
        const router = await slot.worker.createRouter({
          mediaCodecs,
          appData: { roomId: this.id },
        });
        return this.adoptRouter(slot.index, router);
      })().finally(() => this.creatingRouter.delete(slot.index));
      this.creatingRouter.set(slot.index, creating);
    }
    return creating;
  }

  private async adoptRouter(workerIndex: number, router: types.Router): Promise<RouterEntry> {
    if (this.closed) {
      router.close();
      throw new Error('room closed');
    }
    const speakerObserver = await router.createActiveSpeakerObserver({ interval: 300 });
    speakerObserver.on('dominantspeaker', ({ producer }) => {
      this.emit('activeSpeaker', (producer.appData as EndpointAppData).endpointId);
    });
    const entry: RouterEntry = { workerIndex, router, speakerObserver, piped: new Map() };
    this.routers.set(workerIndex, entry);
    router.observer.once('close', () => {
      if (this.routers.get(workerIndex) === entry) this.routers.delete(workerIndex);
    });
    this.log.info({ worker: workerIndex, routers: this.routers.size }, 'router added to meeting');
    return entry;
  }

  private waitForWorker(timeoutMs = 10_000): Promise<PoolWorker> {
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.options.pool.off('workerReplaced', onReplaced);
        fail(new Error('no mediasoup worker available'));
      }, timeoutMs);
      const onReplaced = (slot: PoolWorker) => {
        clearTimeout(timer);
        ok(slot);
      };
      this.options.pool.once('workerReplaced', onReplaced);
    });
  }

  private handleWorkerDied(slot: PoolWorker): void {
    if (this.closed) return;
    this.routers.delete(slot.index);
    const lost = [...this.endpoints.values()].filter((ep) => ep.workerIndex === slot.index);
    for (const ep of lost) ep.close('worker died');
    if (lost.length)
      this.log.warn({ worker: slot.index, endpoints: lost.length }, 'endpoints lost their worker');
    for (const ep of lost) this.emit('endpointMediaLost', ep.id, 'worker died');
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('room closed');
  }

  /** Closes endpoints, then routers; emits closed once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.pool.off('workerDied', this.onWorkerDied);
    for (const ep of [...this.endpoints.values()]) ep.close(reason);
    for (const entry of this.routers.values()) entry.router.close();
    this.routers.clear();
    this.log.info({ reason }, 'meeting media closed');
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
