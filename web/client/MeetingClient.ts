import { Device, type types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import {
  type Ack,
  type EndpointRole,
  type MediaSource,
  type NotificationName,
  type NotificationPayload,
  notifications,
  type Participant,
  type RequestAnswer,
  type RequestName,
  type RequestPayload,
  type SessionState,
} from '../../protocol/socket.js';
import type { Text } from '../../protocol/text.js';

/** A refused request or handshake: the server's code and its words in both languages. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: string,
    readonly text?: Text,
    readonly details?: Record<string, unknown>,
  ) {
    super(text?.en ?? code);
  }
}

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  endpointId: string;
  role: EndpointRole;
  siteId?: string;
  track: MediaStreamTrack;
  paused: boolean;
}

export interface MeetingClientOptions {
  /** Server origin; defaults to the page's. */
  url?: string;
  /** Join token from the link; IT staff use their session cookie with meetingId instead. */
  token?: string;
  meetingId?: string;
  /** Whether this endpoint sends media (sites and the station do; the chair's page does not). */
  send?: boolean;
}

/** A refused handshake's reason; `details.ownerUrl` names the node that runs the meeting. */
interface ConnectErrorData {
  code: string;
  message: Text;
  details?: { ownerUrl?: unknown };
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

interface ClientEvents {
  state: ConnectionState;
  session: SessionState;
  participants: Participant[];
  trackAdded: RemoteTrack;
  trackRemoved: RemoteTrack;
  trackPaused: RemoteTrack;
  trackResumed: RemoteTrack;
  mutedByChair: boolean;
  floorGranted: string;
  floorRevoked: string;
  activeSpeaker: string | undefined;
  replaced: Text;
  /** This connection's access ended (link revoked, site removed, login ended): it stops. */
  revoked: Text;
  /** The meeting's record changed: the page reads it again. */
  meetingUpdated: undefined;
  ended: Text;
  error: Error;
}

interface Published {
  track: MediaStreamTrack;
  source: MediaSource;
  simulcast: boolean;
  paused: boolean;
  /** One encoding at this bitrate instead of simulcast (the connection check). */
  maxBitrateBps?: number;
  producer?: types.Producer;
}

/** How long connecting took, for the connection check (ms, from performance.now()). */
export interface ClientTimings {
  connectStartedAt: number;
  /** Socket connected → join answered, plus the socket connect itself. */
  signalingMs?: number;
  transports: Partial<Record<'send' | 'recv', { createdAt: number; iceDtlsMs?: number }>>;
}

/** Simulcast layers for 720p cameras: thumbnails, medium, full. */
const SIMULCAST: types.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
];

/**
 * The browser side of a meeting: one socket, a mediasoup Device, a send and a receive
 * transport. It restores itself: on a socket reconnect or a media restart it re-creates its
 * transports and re-publishes its tracks; on an ICE drop it restarts ICE.
 */
export class MeetingClient {
  readonly socket: Socket;
  endpointId?: string;
  role?: EndpointRole;
  siteId?: string;
  session?: SessionState;
  participants: Participant[] = [];
  connectionState: ConnectionState = 'connecting';
  readonly remote = new Map<string, RemoteTrack>();
  private device?: Device;
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private readonly consumers = new Map<string, types.Consumer>();
  private readonly pendingConsumers = new Set<string>();
  private readonly closedWhilePending = new Set<string>();
  private readonly published = new Map<MediaSource, Published>();
  private readonly listeners = new Map<keyof ClientEvents, Set<(value: never) => void>>();
  private setupRun = 0;
  private statsTimer?: ReturnType<typeof setInterval>;
  private lastRecv?: { bytes: number; at: number };
  private closed = false;
  /** The session ended: a server-side disconnect is then final. */
  private ended = false;
  private iceServers: RTCIceServer[] = [];
  readonly timings: ClientTimings = { connectStartedAt: performance.now(), transports: {} };
  /** The address the page was given (the public one); a dead node sends us back here. */
  private readonly homeUrl: string;

  constructor(private readonly options: MeetingClientOptions) {
    this.socket = io(options.url ?? '/', {
      auth: {
        ...(options.token ? { token: options.token } : {}),
        ...(options.meetingId ? { meetingId: options.meetingId } : {}),
      },
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      withCredentials: true,
    });
    this.socket.on('connect', () => void this.setup());
    this.socket.io.on('reconnect_attempt', () => {
      this.timings.connectStartedAt = performance.now();
    });
    this.socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.teardownMedia();
      if (reason === 'io server disconnect' && this.ended) {
        this.setState('closed');
        return;
      }
      this.setState('reconnecting');
      // socket.io does not retry after a server-side disconnect (a restart, a lost session):
      // the endpoint must come back by itself, so retry unless the meeting has ended.
      if (reason === 'io server disconnect')
        setTimeout(() => this.closed || this.socket.connect(), 500);
    });
    this.homeUrl = this.managerUri;
    this.socket.on('connect_error', (err: Error & { data?: ConnectErrorData }) => {
      const data = err.data;
      const ownerUrl = data?.details?.ownerUrl;
      if (data?.code === 'conflict' && typeof ownerUrl === 'string') {
        this.moveTo(ownerUrl);
        return;
      }
      // A server that no longer answers (a node died): go back through the public address,
      // which places the meeting on a live node and sends us there.
      if (!data) this.managerUri = this.homeUrl;
      if (data && ['unauthorized', 'forbidden', 'not_found'].includes(data.code)) {
        this.emit('error', new RequestError(data.code, data.message, data.details));
        this.close();
      } else this.setState('reconnecting');
    });
    this.listen();
  }

  // --- which server ----------------------------------------------------------------------------

  /**
   * socket.io keeps the server address in its Manager and has no setter; the next (re)connect
   * opens whatever is there, so changing it moves the connection to another node.
   */
  private get managerUri(): string {
    return (this.socket.io as unknown as { uri: string }).uri;
  }

  private set managerUri(url: string) {
    (this.socket.io as unknown as { uri: string }).uri = url;
  }

  /** The meeting runs on another node: connect there (a refused handshake is not retried). */
  private moveTo(url: string): void {
    if (this.closed) return;
    this.setState('reconnecting');
    this.managerUri = url;
    // Closes the Manager's connection to the node that refused us, then opens one to the owner.
    this.socket.disconnect();
    setTimeout(() => this.closed || this.socket.connect(), 100);
  }

  // --- events ----------------------------------------------------------------------------------

  on<E extends keyof ClientEvents>(event: E, fn: (value: ClientEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as (value: never) => void);
    return () => set.delete(fn as (value: never) => void);
  }

  private emit<E extends keyof ClientEvents>(event: E, value: ClientEvents[E]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as (v: ClientEvents[E]) => void)(value);
      } catch (err) {
        console.error('listener failed', err);
      }
    }
  }

  private setState(state: ConnectionState): void {
    if (this.connectionState === state) return;
    this.connectionState = state;
    this.emit('state', state);
  }

  /** Notifications are validated with the same schemas the server uses. */
  private onNotification<N extends NotificationName>(
    name: N,
    fn: (payload: NotificationPayload<N>) => void,
  ): void {
    this.socket.on(name as string, (raw: unknown) => {
      const parsed = notifications[name].safeParse(raw);
      if (!parsed.success) {
        console.warn(`ignored malformed ${name}`, parsed.error.issues);
        return;
      }
      fn(parsed.data as NotificationPayload<N>);
    });
  }

  /**
   * Listens to one server notification (validated with its schema) beside the client's own
   * handling, for pages that show more than the client tracks. Returns the unsubscribe function.
   */
  subscribe<N extends NotificationName>(
    name: N,
    fn: (payload: NotificationPayload<N>) => void,
  ): () => void {
    const handler = (raw: unknown) => {
      const parsed = notifications[name].safeParse(raw);
      if (parsed.success) fn(parsed.data as NotificationPayload<N>);
    };
    this.socket.on(name as string, handler);
    return () => void this.socket.off(name as string, handler);
  }

  /**
   * A check request that arrived before the page listened for it (the server sends it as soon as
   * a site connects in the check window); onCheckRequested replays it once.
   */
  pendingCheckRequest?: unknown;

  private listen(): void {
    this.socket.on('checkRequested', (raw: unknown) => {
      this.pendingCheckRequest = raw;
    });
    this.onNotification('newConsumer', (n) => void this.addConsumer(n));
    this.onNotification('consumerClosed', ({ consumerId }) => this.removeConsumer(consumerId));
    this.onNotification('consumerPaused', ({ consumerId }) =>
      this.setRemotePaused(consumerId, true),
    );
    this.onNotification('consumerResumed', ({ consumerId }) =>
      this.setRemotePaused(consumerId, false),
    );
    this.onNotification('sessionChanged', (s) => {
      this.session = s;
      this.emit('session', s);
    });
    this.onNotification('participantsChanged', ({ participants }) => {
      this.participants = participants;
      this.emit('participants', participants);
    });
    this.onNotification('participantsUpdated', ({ participants, removed }) => {
      const byId = new Map(this.participants.map((p) => [p.endpointId, p]));
      for (const id of removed ?? []) byId.delete(id);
      for (const p of participants) byId.set(p.endpointId, p);
      this.participants = [...byId.values()];
      this.emit('participants', this.participants);
    });
    this.onNotification('mutedByChair', ({ muted }) => {
      const mic = this.published.get('microphone');
      if (mic && !muted) mic.paused = false;
      this.emit('mutedByChair', muted);
    });
    this.onNotification('floorGranted', ({ siteId }) => this.emit('floorGranted', siteId));
    this.onNotification('floorRevoked', ({ siteId }) => this.emit('floorRevoked', siteId));
    this.onNotification('activeSpeakerChanged', ({ endpointId }) =>
      this.emit('activeSpeaker', endpointId),
    );
    this.onNotification('mediaRestarted', () => void this.setup());
    this.onNotification('replaced', ({ reason }) => {
      this.emit('replaced', reason);
      this.close();
    });
    this.onNotification('accessRevoked', ({ reason }) => {
      this.emit('revoked', reason);
      this.close();
    });
    this.onNotification('meetingUpdated', () => this.emit('meetingUpdated', undefined));
    this.onNotification('sessionEnded', ({ reason }) => {
      this.ended = true;
      this.emit('ended', reason);
    });
  }

  // --- requests --------------------------------------------------------------------------------

  request<N extends RequestName>(
    name: N,
    payload: RequestPayload<N>,
    timeoutMs = 10_000,
  ): Promise<RequestAnswer<N>> {
    return new Promise((ok, fail) => {
      this.socket
        .timeout(timeoutMs)
        .emit(name, payload, (err: Error | null, answer: Ack<RequestAnswer<N>>) => {
          if (err)
            return fail(
              new RequestError('timeout', {
                vi: `${name}: máy chủ không trả lời sau ${timeoutMs} ms`,
                en: `${name}: no answer in ${timeoutMs} ms`,
              }),
            );
          if (answer.ok) ok(answer.data);
          else
            fail(new RequestError(answer.error.code, answer.error.message, answer.error.details));
        });
    });
  }

  // --- media set-up ----------------------------------------------------------------------------

  /** (Re)builds everything after a (re)connect or a media restart. Later runs cancel earlier ones. */
  private async setup(): Promise<void> {
    const run = ++this.setupRun;
    this.teardownMedia();
    try {
      const joined = await this.request('join', {});
      this.timings.signalingMs = Math.round(performance.now() - this.timings.connectStartedAt);
      if (run !== this.setupRun) return;
      this.endpointId = joined.endpointId;
      this.role = joined.role;
      if (joined.siteId !== undefined) this.siteId = joined.siteId;
      this.session = joined.session;
      this.participants = joined.participants;
      this.iceServers = joined.iceServers as RTCIceServer[];
      this.emit('session', joined.session);
      this.emit('participants', joined.participants);

      if (!this.device) {
        this.device = await Device.factory();
        await this.device.load({
          routerRtpCapabilities: joined.routerRtpCapabilities as types.RtpCapabilities,
        });
      }
      this.recvTransport = await this.createTransport('recv');
      if (this.options.send !== false) this.sendTransport = await this.createTransport('send');
      if (run !== this.setupRun) return;
      await this.request('setRtpCapabilities', {
        rtpCapabilities: this.device.rtpCapabilities as never,
      });
      for (const pub of this.published.values()) await this.produce(pub);
      this.setState('connected');
      this.startStats();
    } catch (err) {
      if (run !== this.setupRun || this.closed) return;
      this.emit('error', err as Error);
      // Try again shortly: the server may be replacing a worker.
      setTimeout(() => {
        if (run === this.setupRun && this.socket.connected) void this.setup();
      }, 1000);
    }
  }

  private async createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const info = await this.request('createTransport', { direction });
    const params = {
      id: info.transportId,
      iceParameters: info.iceParameters as unknown as types.IceParameters,
      iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
      iceServers: this.iceServers,
    };
    const transport =
      direction === 'send'
        ? this.device!.createSendTransport(params)
        : this.device!.createRecvTransport(params);
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      this.request('connectTransport', {
        transportId: transport.id,
        dtlsParameters: dtlsParameters as never,
      })
        .then(() => done())
        .catch(fail);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
        this.request('produce', {
          transportId: transport.id,
          kind,
          rtpParameters: rtpParameters as never,
          source: appData.source as MediaSource,
          paused: appData.paused === true,
        })
          .then(({ producerId }) => done({ id: producerId }))
          .catch(fail);
      });
    }
    const timing: { createdAt: number; iceDtlsMs?: number } = { createdAt: performance.now() };
    this.timings.transports[direction] = timing;
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected' && timing.iceDtlsMs === undefined)
        timing.iceDtlsMs = Math.round(performance.now() - timing.createdAt);
      if (state === 'disconnected' || state === 'failed') this.scheduleIceRestart(transport);
    });
    return transport;
  }

  /** The network blinked: ask for new ICE credentials while the transport itself survives. */
  private scheduleIceRestart(transport: types.Transport): void {
    setTimeout(async () => {
      if (transport.closed || !this.socket.connected) return;
      if (!['disconnected', 'failed'].includes(transport.connectionState)) return;
      try {
        const { iceParameters } = await this.request('restartIce', { transportId: transport.id });
        await transport.restartIce({
          iceParameters: iceParameters as unknown as types.IceParameters,
        });
      } catch {
        void this.setup();
      }
    }, 1000);
  }

  private teardownMedia(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    for (const id of [...this.remote.keys()]) this.removeConsumer(id);
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    for (const pub of this.published.values()) pub.producer = undefined;
  }

  // --- publishing ------------------------------------------------------------------------------

  /** Sends a local track; kept across reconnects. Cameras and screens use simulcast. */
  async publish(
    track: MediaStreamTrack,
    source: MediaSource,
    opts: { paused?: boolean; maxBitrateBps?: number } = {},
  ): Promise<void> {
    const pub: Published = {
      track,
      source,
      simulcast: track.kind === 'video' && opts.maxBitrateBps === undefined,
      paused: opts.paused === true,
      ...(opts.maxBitrateBps !== undefined ? { maxBitrateBps: opts.maxBitrateBps } : {}),
    };
    const old = this.published.get(source);
    if (old?.producer) {
      old.producer.close();
      await this.request('closeProducer', { producerId: old.producer.id }).catch(() => {});
    }
    this.published.set(source, pub);
    if (this.sendTransport && this.connectionState === 'connected') await this.produce(pub);
  }

  async unpublish(source: MediaSource): Promise<void> {
    const pub = this.published.get(source);
    this.published.delete(source);
    if (pub?.producer) {
      pub.producer.close();
      await this.request('closeProducer', { producerId: pub.producer.id }).catch(() => {});
    }
  }

  private async produce(pub: Published): Promise<void> {
    if (!this.sendTransport) return;
    pub.producer = await this.sendTransport.produce({
      track: pub.track,
      stopTracks: false,
      ...(pub.simulcast
        ? { encodings: pub.source === 'screen' ? [{ maxBitrate: 1_500_000 }] : SIMULCAST }
        : {}),
      ...(pub.maxBitrateBps !== undefined
        ? { encodings: [{ maxBitrate: pub.maxBitrateBps }] }
        : {}),
      ...(pub.track.kind === 'audio'
        ? { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } }
        : {}),
      appData: { source: pub.source, paused: pub.paused },
    });
    if (pub.paused) pub.producer.pause();
  }

  /** Self-mute of the microphone (or camera); the server refuses to unmute while the chair mutes. */
  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const pub = this.published.get(source);
    if (!pub) return;
    pub.paused = paused;
    const producer = pub.producer;
    if (!producer) return;
    if (paused) {
      producer.pause();
      await this.request('pauseProducer', { producerId: producer.id });
    } else {
      await this.request('resumeProducer', { producerId: producer.id });
      producer.resume();
    }
  }

  // --- receiving -------------------------------------------------------------------------------

  private async addConsumer(n: NotificationPayload<'newConsumer'>): Promise<void> {
    const transport = this.recvTransport;
    if (!transport) return;
    // consumerClosed can arrive while the consumer is still being set up; remember it.
    this.pendingConsumers.add(n.consumerId);
    try {
      const consumer = await transport.consume({
        id: n.consumerId,
        producerId: n.producerId,
        kind: n.kind,
        rtpParameters: n.rtpParameters as unknown as types.RtpParameters,
      });
      if (this.closedWhilePending.has(n.consumerId) || transport !== this.recvTransport) {
        consumer.close();
        return;
      }
      this.consumers.set(consumer.id, consumer);
      const remote: RemoteTrack = {
        consumerId: consumer.id,
        producerId: n.producerId,
        kind: n.kind,
        source: n.source,
        endpointId: n.endpointId,
        role: n.role,
        ...(n.siteId !== undefined ? { siteId: n.siteId } : {}),
        track: consumer.track,
        paused: false,
      };
      this.remote.set(consumer.id, remote);
      await this.request('resumeConsumer', { consumerId: consumer.id }).catch(() => {});
      // Closed during the resume: removeConsumer already dropped it.
      if (this.remote.get(consumer.id) === remote) this.emit('trackAdded', remote);
    } finally {
      this.pendingConsumers.delete(n.consumerId);
      this.closedWhilePending.delete(n.consumerId);
    }
  }

  private removeConsumer(consumerId: string): void {
    if (this.pendingConsumers.has(consumerId)) this.closedWhilePending.add(consumerId);
    this.consumers.get(consumerId)?.close();
    this.consumers.delete(consumerId);
    const remote = this.remote.get(consumerId);
    this.remote.delete(consumerId);
    if (remote) this.emit('trackRemoved', remote);
  }

  private setRemotePaused(consumerId: string, paused: boolean): void {
    const remote = this.remote.get(consumerId);
    if (!remote) return;
    remote.paused = paused;
    this.emit(paused ? 'trackPaused' : 'trackResumed', remote);
  }

  /** Ask for the layer that fits how big a video is shown (0: thumbnail, 2: full screen). */
  setLayer(consumerId: string, spatialLayer: 0 | 1 | 2): Promise<unknown> {
    return this.request('setConsumerLayers', { consumerId, spatialLayer });
  }

  /** Receiver figures of one remote track: frames decoded (video) and packets received. */
  async trackStats(consumerId: string): Promise<{
    framesDecoded: number;
    packetsReceived: number;
    bytesReceived: number;
    packetsLost: number;
    jitterMs: number;
    framesReceived: number;
    framesDropped: number;
    keyFramesDecoded: number;
    /** Seconds spent decoding, over all frames. */
    totalDecodeTime: number;
    pliCount: number;
    nackCount: number;
  }> {
    const stats = await this.consumers.get(consumerId)?.getStats();
    const out = {
      framesDecoded: 0,
      packetsReceived: 0,
      bytesReceived: 0,
      packetsLost: 0,
      jitterMs: 0,
      framesReceived: 0,
      framesDropped: 0,
      keyFramesDecoded: 0,
      totalDecodeTime: 0,
      pliCount: 0,
      nackCount: 0,
    };
    stats?.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.framesDecoded += s.framesDecoded ?? 0;
      out.framesReceived += s.framesReceived ?? 0;
      out.framesDropped += s.framesDropped ?? 0;
      out.keyFramesDecoded += s.keyFramesDecoded ?? 0;
      out.totalDecodeTime += s.totalDecodeTime ?? 0;
      out.pliCount += s.pliCount ?? 0;
      out.nackCount += s.nackCount ?? 0;
      out.packetsReceived += s.packetsReceived ?? 0;
      out.bytesReceived += s.bytesReceived ?? 0;
      out.packetsLost += Math.max(0, s.packetsLost ?? 0);
      out.jitterMs = Math.max(out.jitterMs, (s.jitter ?? 0) * 1000);
    });
    return out;
  }

  /** The raw WebRTC stats of one transport (selected candidate pair, local candidate). */
  async transportStats(direction: 'send' | 'recv'): Promise<RTCStatsReport | undefined> {
    return (direction === 'send' ? this.sendTransport : this.recvTransport)?.getStats();
  }

  // --- stats -----------------------------------------------------------------------------------

  private startStats(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => void this.reportStats(), 2000);
  }

  /** What this page receives, for the quality badge and the connection check. */
  async receiveStats(): Promise<{
    recvKbps: number;
    lossDownPercent: number;
    jitterMs: number;
    rttMs?: number;
    framesDecoded: number;
  }> {
    const stats = await this.recvTransport?.getStats();
    let bytes = 0;
    let lost = 0;
    let received = 0;
    let jitter = 0;
    let framesDecoded = 0;
    let rtt: number | undefined;
    stats?.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        bytes += s.bytesReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
        received += s.packetsReceived ?? 0;
        jitter = Math.max(jitter, (s.jitter ?? 0) * 1000);
        framesDecoded += s.framesDecoded ?? 0;
      }
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        rtt = s.currentRoundTripTime * 1000;
      }
    });
    const now = performance.now();
    const prev = this.lastRecv;
    this.lastRecv = { bytes, at: now };
    const recvKbps = prev && now > prev.at ? ((bytes - prev.bytes) * 8) / (now - prev.at) : 0;
    return {
      recvKbps: Math.max(0, Math.round(recvKbps)),
      lossDownPercent: received + lost > 0 ? (lost / (received + lost)) * 100 : 0,
      jitterMs: Math.round(jitter),
      ...(rtt !== undefined ? { rttMs: Math.round(rtt) } : {}),
      framesDecoded,
    };
  }

  private async reportStats(): Promise<void> {
    try {
      const s = await this.receiveStats();
      await this.request('reportStats', s);
    } catch {
      // Stats are best effort; the next round tries again.
    }
  }

  // --- closing ---------------------------------------------------------------------------------

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.setupRun++;
    this.teardownMedia();
    this.socket.close();
    this.setState('closed');
  }
}
