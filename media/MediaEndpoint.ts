import type { types } from 'mediasoup';
import type { MediaLogger } from './MediaLogger.js';

export type Direction = 'send' | 'recv';

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
  private closed = false;
  private readonly log: MediaLogger;

  constructor(private readonly options: MediaEndpointOptions) {
    this.id = options.id;
    this.router = options.router;
    this.workerIndex = options.workerIndex;
    this.log = options.logger.child({ endpointId: options.id });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async createTransport(direction: Direction): Promise<types.WebRtcTransport<EndpointAppData>> {
    const transport = await this.router.createWebRtcTransport<EndpointAppData>({
      webRtcServer: this.options.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.options.initialAvailableOutgoingBitrate ?? 1_500_000,
      appData: { endpointId: this.id, direction },
    });
    if (this.closed) {
      transport.close();
      throw new Error('endpoint closed');
    }
    this.transports.set(transport.id, transport);
    transport.observer.once('close', () => this.transports.delete(transport.id));
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
    const producer = await transport.produce<EndpointAppData>({
      kind,
      rtpParameters,
      paused,
      appData: { endpointId: this.id, source },
    });
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
    return producer;
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
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.log.debug({ reason }, 'media endpoint closed');
    this.options.onClose();
  }
}
