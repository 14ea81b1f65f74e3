import { Device, type types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';
import type {
  EndpointRole,
  MediaSource,
  NotificationPayload,
  RequestAnswer,
  RequestName,
  RequestPayload,
  SessionState,
} from '../protocol/socket.js';
import { joinWithRetry, openSocket, request, type SignalingFigures } from './endpointSignaling.js';
import { createTransport } from './endpointTransport.js';
import type { EmulatedEndpointOptions, JoinTimings, Received } from './endpointTypes.js';
import { type ReceiveFigures, receiveFigures } from './receiveFigures.js';
import { type SendCounters, sendCounters, sendEstimateKbps, sendRttMs } from './sendPathStats.js';
import { type SyntheticSource, syntheticCamera } from './sources.js';
import { type StatsMark, statsSince } from './statsReport.js';
import { installWebRtcGlobals, RTCVideoSink } from './wrtc.js';

export type { SignalingFigures } from './endpointSignaling.js';
export type { EmulatedEndpointOptions, JoinTimings, Received } from './endpointTypes.js';

/**
 * One emulated endpoint (a site, or the main point): its join link → socket.io → a
 * mediasoup-client Device on libwebrtc → ICE/DTLS with the WebRtcServer → the consumers the
 * server sends. It counts packets, loss and the time to the first video packet and frame, and
 * the signaling it exchanges. No browser: see loadtest/wrtc.ts.
 */
export class EmulatedEndpoint {
  readonly socket: Socket;
  readonly startedAt = performance.now();
  readonly timings: JoinTimings = {};
  readonly signalingFigures: SignalingFigures = {
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
  };
  endpointId?: string;
  siteId?: string;
  session?: SessionState;
  error?: string;
  /** Join requests that went unanswered and were sent again. */
  joinRetries = 0;
  private device?: Device;
  private recvTransport?: types.Transport;
  private sendTransport?: types.Transport;
  private readonly received = new Map<string, Received>();
  private readonly producers: types.Producer[] = [];
  private floorCamera?: { source: SyntheticSource; producer: types.Producer };
  private probe?: NodeJS.Timeout;
  private reporter?: NodeJS.Timeout;
  private lastReport?: StatsMark;
  private sink?: InstanceType<typeof RTCVideoSink>;
  private closed = false;

  private constructor(private readonly options: EmulatedEndpointOptions) {
    installWebRtcGlobals();
    this.socket = openSocket(options, this.signalingFigures);
    this.socket.on('newConsumer', (n: NotificationPayload<'newConsumer'>) => {
      void this.consume(n).catch((err) => this.fail(err));
    });
    this.socket.on('consumerClosed', ({ consumerId }: { consumerId: string }) => {
      this.received.get(consumerId)?.consumer.close();
      this.received.delete(consumerId);
    });
    this.socket.on('sessionChanged', (state: SessionState) => {
      this.session = state;
    });
    this.socket.on('floorGranted', ({ siteId }: { siteId: string }) => {
      if (siteId === this.siteId && options.cameraOnFloor !== false)
        void this.startFloorCamera().catch((err) => this.fail(err));
    });
    this.socket.on('floorRevoked', ({ siteId }: { siteId: string }) => {
      if (siteId === this.siteId) void this.stopFloorCamera();
    });
  }

  /**
   * Connects, joins and sets up media; resolves once the endpoint is ready to receive. Like the
   * pages, it follows a handshake refused with the URL of the node that serves it (several nodes).
   */
  static async join(options: EmulatedEndpointOptions): Promise<EmulatedEndpoint> {
    for (let hop = 0; ; hop++) {
      const endpoint = new EmulatedEndpoint(options);
      try {
        await endpoint.setup();
        return endpoint;
      } catch (err) {
        endpoint.fail(err);
        endpoint.close();
        const ownerUrl = (err as { ownerUrl?: unknown }).ownerUrl;
        if (typeof ownerUrl !== 'string' || hop >= 3) throw err;
        options = { ...options, url: ownerUrl };
      }
    }
  }

  private fail(err: unknown): void {
    this.error ??= (err as Error).message ?? String(err);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  request<N extends RequestName>(
    name: N,
    payload: RequestPayload<N>,
    timeoutMs = 20_000,
  ): Promise<RequestAnswer<N>> {
    return request(this.socket, name, payload, timeoutMs);
  }

  private async setup(): Promise<void> {
    await new Promise<void>((ok, fail) => {
      this.socket.once('connect', () => ok());
      this.socket.once('connect_error', (err: Error & { data?: { details?: unknown } }) => {
        const details = err.data?.details as { ownerUrl?: string } | undefined;
        fail(Object.assign(new Error(`connect: ${err.message}`), { ownerUrl: details?.ownerUrl }));
      });
    });
    const joined = await this.joinWithRetry();
    this.timings.joinedMs = this.elapsed();
    this.endpointId = joined.endpointId;
    if (joined.siteId !== undefined) this.siteId = joined.siteId;
    this.session = joined.session;
    this.routerRtpCapabilities = joined.routerRtpCapabilities as types.RtpCapabilities;
    if (!this.options.deferMedia) await this.ensureMedia();
  }

  private routerRtpCapabilities?: types.RtpCapabilities;
  private mediaReady?: Promise<void>;

  /** The Device, the receive transport (and the send one for the station), once. */
  ensureMedia(): Promise<void> {
    this.mediaReady ??= (async () => {
      this.device = await Device.factory({ handlerName: 'Chrome111' });
      await this.device.load({ routerRtpCapabilities: this.routerRtpCapabilities! });
      this.recvTransport = await this.createTransport('recv');
      if (this.options.send) this.sendTransport = await this.createTransport('send');
      await this.request('setRtpCapabilities', {
        rtpCapabilities: this.device.rtpCapabilities as never,
      });
      // A site emulated for its check only receives its own loopback: no main point to wait
      // for, nothing to report (polling stats of hundreds of sites would starve the emulator).
      if (this.options.deferMedia) return;
      this.startProbe();
      // Like the page: what it receives, every 2 s (the control plane's steady-state load).
      this.reporter = setInterval(() => void this.reportStats(), 2000);
    })();
    return this.mediaReady;
  }

  /**
   * Closes the transports and the Device (ensureMedia makes new ones): a site emulated for its
   * check gives its media back after it, so hundreds fit in one emulator process.
   */
  releaseMedia(): void {
    for (const r of this.received.values()) r.consumer.close();
    this.received.clear();
    this.recvTransport?.close();
    this.sendTransport?.close();
    this.recvTransport = undefined;
    this.sendTransport = undefined;
    this.device = undefined;
    this.mediaReady = undefined;
  }

  /** This site's own camera and microphone as the server loops them back (check mode). */
  ownLoopback(): Received[] {
    return [...this.received.values()].filter(
      (r) => r.endpointId === this.endpointId && !r.consumer.closed,
    );
  }

  /** The selected candidate pair's round trip on the send transport (ms), when known. */
  sendRttMs(): Promise<number | undefined> {
    return sendRttMs(this.sendTransport);
  }

  /** The send path's bandwidth estimate (availableOutgoingBitrate, kbps), when known. */
  sendEstimateKbps(): Promise<number | undefined> {
    return sendEstimateKbps(this.sendTransport);
  }

  /** What the send transport's encoders did so far, all layers: keyframe requests heard, key frames sent. */
  sendCounters(): Promise<SendCounters> {
    return sendCounters(this.sendTransport);
  }

  /** Stops one published track and tells the server. */
  async unpublish(producer: types.Producer): Promise<void> {
    producer.close();
    const i = this.producers.indexOf(producer);
    if (i >= 0) this.producers.splice(i, 1);
    await this.request('closeProducer', { producerId: producer.id }).catch(() => {});
  }

  private async reportStats(): Promise<void> {
    try {
      const { mark, report } = statsSince(await this.figures(), this.lastReport, performance.now());
      this.lastReport = mark;
      if (report) await this.request('reportStats', report);
    } catch {
      // Best effort, as on the page.
    }
  }

  private joinWithRetry(): Promise<RequestAnswer<'join'>> {
    return joinWithRetry(this.socket, () => this.joinRetries++);
  }

  private createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    return createTransport(this.device!, this.socket, direction, (state) => {
      if (state === 'connected' && direction === 'recv')
        this.timings.connectedMs ??= this.elapsed();
      if (state === 'failed') this.fail(new Error(`${direction} transport failed`));
    });
  }

  private async consume(n: NotificationPayload<'newConsumer'>): Promise<void> {
    const transport = this.recvTransport;
    if (!transport || this.closed) return;
    const consumer = await transport.consume({
      id: n.consumerId,
      producerId: n.producerId,
      kind: n.kind,
      rtpParameters: n.rtpParameters as unknown as types.RtpParameters,
    });
    this.received.set(consumer.id, {
      consumer,
      endpointId: n.endpointId,
      role: n.role,
      source: n.source,
    });
    await this.request('resumeConsumer', { consumerId: consumer.id });
    if (n.kind === 'video' && n.role === 'station' && this.options.layer !== undefined)
      await this.request('setConsumerLayers', {
        consumerId: consumer.id,
        spatialLayer: this.options.layer,
      });
    if (n.kind === 'video' && this.timings.firstFrameMs === undefined)
      this.watchFirstFrame(consumer);
  }

  /** The first decoded frame, exactly (a sink on the track), then the sink goes. */
  private watchFirstFrame(consumer: types.Consumer): void {
    if (this.sink) return;
    const sink = new RTCVideoSink(consumer.track);
    this.sink = sink;
    sink.onframe = () => {
      this.timings.firstFrameMs ??= this.elapsed();
      sink.stop();
    };
  }

  /** Polls stats until the first video and audio packets arrived (then stops: stats cost CPU). */
  private startProbe(): void {
    this.probe = setInterval(async () => {
      if (this.timings.firstVideoPacketMs !== undefined && this.timings.firstAudioPacketMs) {
        clearInterval(this.probe);
        return;
      }
      const f = await this.figures().catch(() => undefined);
      if (!f) return;
      if (f.videoPackets > 0) this.timings.firstVideoPacketMs ??= this.elapsed();
      if (f.audioPackets > 0) this.timings.firstAudioPacketMs ??= this.elapsed();
    }, 100);
  }

  /** Cumulative receive figures of everything from one role (the main point by default). */
  figures(from: EndpointRole = 'station'): Promise<ReceiveFigures> {
    return receiveFigures(this.recvTransport, this.received.values(), from);
  }

  /** What this endpoint currently receives: source → count, for checks. */
  receivedSources(from: EndpointRole = 'station'): MediaSource[] {
    return [...this.received.values()]
      .filter((r) => r.role === from && !r.consumer.closed)
      .map((r) => r.source);
  }

  /** Publishes a track (the station's camera and microphone); simulcast when encodings given. */
  async publish(
    track: MediaStreamTrack,
    source: MediaSource,
    encodings?: types.RtpEncodingParameters[],
  ): Promise<types.Producer> {
    this.sendTransport ??= await this.createTransport('send');
    const producer = await this.sendTransport.produce({
      track,
      stopTracks: false,
      ...(encodings ? { encodings } : {}),
      ...(track.kind === 'audio' ? { codecOptions: { opusStereo: false, opusDtx: true } } : {}),
      appData: { source },
    });
    this.producers.push(producer);
    return producer;
  }

  private async startFloorCamera(): Promise<void> {
    if (this.floorCamera) return;
    const source = syntheticCamera(320, 180, 15);
    const producer = await this.publish(source.track, 'camera', [{ maxBitrate: 300_000 }]);
    this.floorCamera = { source, producer };
  }

  private async stopFloorCamera(): Promise<void> {
    const cam = this.floorCamera;
    this.floorCamera = undefined;
    if (!cam) return;
    cam.producer.close();
    cam.source.stop();
    await this.request('closeProducer', { producerId: cam.producer.id }).catch(() => {});
  }

  /** Whether this site is sending its floor camera now. */
  get sendingCamera(): boolean {
    return this.floorCamera !== undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    if (this.reporter) clearInterval(this.reporter);
    if (this.sink && !this.sink.stopped) this.sink.stop();
    this.floorCamera?.source.stop();
    for (const p of this.producers) p.close();
    for (const r of this.received.values()) r.consumer.close();
    this.recvTransport?.close();
    this.sendTransport?.close();
    this.socket.close();
  }
}
