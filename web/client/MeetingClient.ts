import { Device, type types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';
import { request } from '../../client/request.js';
import { openTransport, type TransportWiring } from '../../client/transport.js';
import type {
  EndpointRole,
  MediaSource,
  NotificationName,
  NotificationPayload,
  Participant,
  RequestAnswer,
  RequestName,
  RequestPayload,
  SessionState,
} from '../../protocol/socket.js';
import type {
  ClientEvents,
  ClientTimings,
  ConnectionState,
  MeetingClientOptions,
  RemoteTrack,
} from './clientTypes.js';
import { Listeners } from './Listeners.js';
import { LocalTracks, type SendBitrateKbps } from './LocalTracks.js';
import { type SelectedPath, selectedPathOf } from './mediaPath.js';
import { RemoteTracks } from './RemoteTracks.js';
import {
  type ReceiveFigures,
  receiveFiguresOf,
  type TrackFigures,
  trackFiguresOf,
} from './receiveStats.js';
import { onNotification, openSocket, subscribe, watchConnection } from './serverConnection.js';

export { RequestError } from '../../client/request.js';
export type {
  ClientTimings,
  ConnectionState,
  MeetingClientOptions,
  RemoteTrack,
} from './clientTypes.js';
export type { SendBitrateKbps } from './LocalTracks.js';

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
  /** What this page receives, by consumer id. */
  private readonly tracks: RemoteTracks = new RemoteTracks({
    request: (name, payload) => this.request(name, payload),
    transport: () => this.recvTransport,
    emit: (event, track) => this.emit(event, track),
  });
  readonly remote: ReadonlyMap<string, RemoteTrack> = this.tracks.byConsumer;
  private device?: Device;
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  /** What this page sends. */
  private readonly sending: LocalTracks = new LocalTracks({
    request: (name, payload) => this.request(name, payload),
    transport: () => this.sendTransport,
    connected: () => this.connectionState === 'connected',
  });
  private readonly events = new Listeners<ClientEvents>();
  private setupRun = 0;
  private statsTimer?: ReturnType<typeof setInterval>;
  private lastRecv?: { bytes: number; at: number };
  private closed = false;
  /** The session ended: a server-side disconnect is then final. */
  private ended = false;
  private iceServers: RTCIceServer[] = [];
  readonly timings: ClientTimings = { connectStartedAt: performance.now(), transports: {} };

  constructor(private readonly options: MeetingClientOptions) {
    this.socket = openSocket(options);
    this.socket.on('connect', () => void this.setup());
    watchConnection(this.socket, {
      closed: () => this.closed,
      ended: () => this.ended,
      teardownMedia: () => this.teardownMedia(),
      setState: (state) => this.setState(state),
      refused: (err) => {
        this.emit('error', err);
        this.close();
      },
      reconnectAttempt: () => {
        this.timings.connectStartedAt = performance.now();
      },
    });
    this.listen();
  }

  // --- events ----------------------------------------------------------------------------------

  on<E extends keyof ClientEvents>(event: E, fn: (value: ClientEvents[E]) => void): () => void {
    return this.events.on(event, fn);
  }

  private emit<E extends keyof ClientEvents>(event: E, value: ClientEvents[E]): void {
    this.events.emit(event, value);
  }

  private setState(state: ConnectionState): void {
    if (this.connectionState === state) return;
    this.connectionState = state;
    this.emit('state', state);
  }

  private onNotification<N extends NotificationName>(
    name: N,
    fn: (payload: NotificationPayload<N>) => void,
  ): void {
    onNotification(this.socket, name, fn);
  }

  /**
   * Listens to one server notification (validated with its schema) beside the client's own
   * handling, for pages that show more than the client tracks. Returns the unsubscribe function.
   */
  subscribe<N extends NotificationName>(
    name: N,
    fn: (payload: NotificationPayload<N>) => void,
  ): () => void {
    return subscribe(this.socket, name, fn);
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
    this.onNotification('newConsumer', (n) => void this.tracks.add(n));
    this.onNotification('consumerClosed', ({ consumerId }) => this.tracks.remove(consumerId));
    this.onNotification('consumerPaused', ({ consumerId }) =>
      this.tracks.setPaused(consumerId, true),
    );
    this.onNotification('consumerResumed', ({ consumerId }) =>
      this.tracks.setPaused(consumerId, false),
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
      if (!muted) this.sending.unmutedByChair();
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
    return request(this.socket, name, payload, timeoutMs);
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
      this.recvTransport = await openTransport('recv', this.wiring());
      if (this.options.send !== false)
        this.sendTransport = await openTransport('send', this.wiring());
      if (run !== this.setupRun) return;
      await this.request('setRtpCapabilities', {
        rtpCapabilities: this.device.rtpCapabilities as never,
      });
      await this.sending.produceAll();
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

  /** What a new transport needs from the client (device, signaling, timings, recovery). */
  private wiring(): TransportWiring {
    return {
      device: this.device!,
      iceServers: this.iceServers,
      timings: this.timings,
      request: this.request.bind(this),
      iceRestart: { connected: () => this.socket.connected, rebuild: () => void this.setup() },
    };
  }

  private teardownMedia(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.tracks.removeAll();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    this.sending.forgetProducers();
  }

  // --- publishing ------------------------------------------------------------------------------

  /** Sends a local track; kept across reconnects. Cameras and screens use simulcast. */
  publish(
    track: MediaStreamTrack,
    source: MediaSource,
    opts: { paused?: boolean; maxBitrateBps?: number; sendBitrateKbps?: SendBitrateKbps } = {},
  ): Promise<void> {
    return this.sending.publish(track, source, opts);
  }

  unpublish(source: MediaSource): Promise<void> {
    return this.sending.unpublish(source);
  }

  /** Self-mute of the microphone (or camera); the server refuses to unmute while the chair mutes. */
  setPaused(source: MediaSource, paused: boolean): Promise<void> {
    return this.sending.setPaused(source, paused);
  }

  // --- receiving -------------------------------------------------------------------------------

  /** Ask for the layer that fits how big a video is shown (0: thumbnail, 2: full screen). */
  setLayer(consumerId: string, spatialLayer: 0 | 1 | 2): Promise<unknown> {
    return this.request('setConsumerLayers', { consumerId, spatialLayer });
  }

  /** Receiver figures of one remote track: frames decoded (video) and packets received. */
  async trackStats(consumerId: string): Promise<TrackFigures> {
    return trackFiguresOf(await this.tracks.consumer(consumerId)?.getStats());
  }

  /** The raw WebRTC stats of one transport (selected candidate pair, local candidate). */
  async transportStats(direction: 'send' | 'recv'): Promise<RTCStatsReport | undefined> {
    return (direction === 'send' ? this.sendTransport : this.recvTransport)?.getStats();
  }

  /** The path this page's media takes (its receive transport's selected ICE pair). */
  async mediaPath(): Promise<SelectedPath> {
    return selectedPathOf(await this.recvTransport?.getStats());
  }

  // --- stats -----------------------------------------------------------------------------------

  private startStats(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => void this.reportStats(), 2000);
  }

  /** What this page receives, for the quality badge and the connection check. */
  async receiveStats(): Promise<ReceiveFigures> {
    const { figures, bytes } = receiveFiguresOf(await this.recvTransport?.getStats());
    const now = performance.now();
    const prev = this.lastRecv;
    this.lastRecv = { bytes, at: now };
    const recvKbps = prev && now > prev.at ? ((bytes - prev.bytes) * 8) / (now - prev.at) : 0;
    return { recvKbps: Math.max(0, Math.round(recvKbps)), ...figures };
  }

  private async reportStats(): Promise<void> {
    try {
      const [s, p] = await Promise.all([this.receiveStats(), this.mediaPath()]);
      await this.request('reportStats', {
        ...s,
        ...(p.path !== 'unknown' ? { path: p.path } : {}),
        ...(p.relayPort !== undefined ? { relayPort: p.relayPort } : {}),
      });
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
