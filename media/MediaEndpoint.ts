import type { types } from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

export type Direction = 'send' | 'recv';

/** A request would take an endpoint past one of its limits; the caller answers it, not a crash. */
export class MediaLimitError extends Error {
  override readonly name = 'MediaLimitError';
  constructor(
    readonly limit: 'transports' | 'producers' | 'consumers',
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

export interface MediaEndpointLimits {
  /** Consumers one endpoint may hold (a chair's grid holds one per site). */
  maxConsumers: number;
}

export interface EndpointAppData extends types.AppData {
  endpointId: string;
  direction?: Direction;
  source?: string;
}

export interface MediaEndpointOptions {
  id: string;
  router: types.Router;
  webRtcServer: types.WebRtcServer;
  workerIndex: number;
  logger: MediaLogger;
  /** Initial outgoing bitrate the SFU assumes towards this endpoint (bps). */
  initialAvailableOutgoingBitrate?: number;
  limits?: Partial<MediaEndpointLimits>;
  /**
   * Keyframe requests from a video producer's consumers reach the sender at most once per this
   * many ms; the rest are coalesced into the next one (mediasoup's keyFrameRequestDelay).
   * Default 1000: a join storm asks the main point's encoder for one key frame a second per
   * layer, not one per joining site.
   */
  keyFrameRequestDelayMs?: number;
  /** Called once when the endpoint closes (the room drops it from its map). */
  onClose: () => void;
}

/**
 * One endpoint's media on one router: its WebRTC transports, producers and consumers.
 * Owned by the Room; closing it closes everything below it.
 */
export class MediaEndpoint {
  readonly id: string;
  readonly workerIndex: number;
  readonly router: types.Router;
  readonly transports = new Map<string, types.WebRtcTransport<EndpointAppData>>();
  readonly producers = new Map<string, types.Producer<EndpointAppData>>();
  readonly consumers = new Map<string, types.Consumer<EndpointAppData>>();
  rtpCapabilities?: types.RtpCapabilities;
  /** Transports made elsewhere (media/PlainIngest.ts) that close with this endpoint. */
  private readonly adopted = new Set<types.Transport>();
  private closed = false;
  /**
   * Directions and sources taken, including those still being created: the check and the
   * reservation happen in one synchronous step, so concurrent requests cannot both pass.
   */
  private readonly directionsTaken = new Set<Direction>();
  private readonly sourcesPending = new Set<string>();
  readonly maxConsumers: number;
  private readonly log: MediaLogger;

  constructor(private readonly options: MediaEndpointOptions) {
    this.id = options.id;
    this.router = options.router;
    this.workerIndex = options.workerIndex;
    this.log = options.logger.child({ endpointId: options.id });
    this.maxConsumers = options.limits?.maxConsumers ?? 1024;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One send and one receive transport per endpoint; a second one of a direction is refused. */
  async createTransport(direction: Direction): Promise<types.WebRtcTransport<EndpointAppData>> {
    if (this.directionsTaken.has(direction)) {
      throw new MediaLimitError(
        'transports',
        1,
        `direction: this connection already has a ${direction} transport (limit 1)`,
      );
    }
    this.directionsTaken.add(direction);
    let transport: types.WebRtcTransport<EndpointAppData>;
    try {
      transport = await this.router.createWebRtcTransport<EndpointAppData>({
        webRtcServer: this.options.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: this.options.initialAvailableOutgoingBitrate ?? 1_500_000,
        appData: { endpointId: this.id, direction },
      });
    } catch (err) {
      this.directionsTaken.delete(direction);
      throw err;
    }
    if (this.closed) {
      transport.close();
      throw new Error('endpoint closed');
    }
    this.transports.set(transport.id, transport);
    transport.observer.once('close', () => {
      this.transports.delete(transport.id);
      this.directionsTaken.delete(direction);
    });
    // A bound on what one site may push, so one misconfigured camera cannot starve the worker.
    if (direction === 'send') await transport.setMaxIncomingBitrate(5_000_000).catch(() => {});
    return transport;
  }

  transport(transportId: string): types.WebRtcTransport<EndpointAppData> | undefined {
    return this.transports.get(transportId);
  }

  recvTransport(): types.WebRtcTransport<EndpointAppData> | undefined {
    for (const t of this.transports.values())
      if (t.appData.direction === 'recv' && !t.closed) return t;
    return undefined;
  }

  async produce(
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
    source: string,
    paused = false,
  ): Promise<types.Producer<EndpointAppData>> {
    const transport = this.transports.get(transportId);
    if (transport?.appData.direction !== 'send')
      throw new RangeError(`no send transport ${transportId}`);
    // One producer per source: a new one replaces a finished one, a concurrent one is refused.
    if (this.sourcesPending.has(source)) {
      throw new MediaLimitError(
        'producers',
        1,
        `source: a ${source} producer is already being created (limit 1 per source)`,
      );
    }
    this.sourcesPending.add(source);
    let producer: types.Producer<EndpointAppData>;
    try {
      for (const existing of this.producers.values())
        if (existing.appData.source === source) existing.close();
      producer = await transport.produce<EndpointAppData>({
        kind,
        rtpParameters,
        paused,
        ...(kind === 'video'
          ? { keyFrameRequestDelay: this.options.keyFrameRequestDelayMs ?? 1000 }
          : {}),
        appData: { endpointId: this.id, source },
      });
    } finally {
      this.sourcesPending.delete(source);
    }
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
    return producer;
  }

  /**
   * A transport made outside this class (a PlainTransport of an encoder's ingest) becomes this
   * endpoint's: it closes with it, and its producers are listed with the endpoint's own.
   */
  adoptTransport(transport: types.Transport): void {
    if (this.closed) {
      transport.close();
      throw new Error('endpoint closed');
    }
    this.adopted.add(transport);
    transport.observer.once('close', () => this.adopted.delete(transport));
  }

  /** A producer made on an adopted transport. */
  adoptProducer(producer: types.Producer<EndpointAppData>): void {
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
  }

  /** Throws when one more consumer would pass the limit. */
  assertConsumerRoom(): void {
    if (this.consumers.size >= this.maxConsumers)
      throw new MediaLimitError(
        'consumers',
        this.maxConsumers,
        `consumers: this endpoint holds the maximum of ${this.maxConsumers}`,
      );
  }

  addConsumer(consumer: types.Consumer<EndpointAppData>): void {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
  }

  /** Consumers this endpoint holds of a given producer (at most one). */
  consumerOf(producerId: string): types.Consumer<EndpointAppData> | undefined {
    for (const c of this.consumers.values()) if (c.producerId === producerId) return c;
    return undefined;
  }

  /** Closes transports (and so producers and consumers). Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.transports.values()) t.close();
    for (const t of this.adopted) t.close();
    this.transports.clear();
    this.adopted.clear();
    this.producers.clear();
    this.consumers.clear();
    this.log.debug({ reason }, 'media endpoint closed');
    this.options.onClose();
  }
}
