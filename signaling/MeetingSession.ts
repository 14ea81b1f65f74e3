import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Server, Socket } from 'socket.io';
import type { EndpointAppData, MediaEndpoint } from '../media/MediaEndpoint.js';
import type { MediaLogger } from '../media/MediaLogger.js';
import type { Room } from '../media/Room.js';
import { type CheckHooks, ConnectionCheck } from './ConnectionCheck.js';
import { wants } from './mediaRules.js';
import { Participant, type ParticipantIdentity } from './Participant.js';
import type { ChecklistInput, CheckThresholdsLike, ClientFigures } from './protocol/check.js';
import { AppError, badRequest, conflict, forbidden, notFound } from './protocol/errors.js';
import type {
  EndpointRole,
  MediaSource,
  NotificationName,
  NotificationPayload,
  Quality,
  RequestAnswer,
  RequestName,
  SessionState,
} from './protocol/socket.js';
import { gradeQuality, type QualityThresholds } from './quality.js';
import type { EndpointPresence, SessionEvents } from './sessionEvents.js';

export interface SessionMeetingInfo {
  title: string;
  /** siteId → display name, for the sites that belong to the meeting. */
  sites: ReadonlyMap<string, string>;
  agendaLength: number;
  /** Already live (e.g. the process restarted during the session). */
  live?: boolean;
}

export interface SessionHooks {
  /** Persist the lifecycle change (meeting state → live / ended). */
  started(actor: string): Promise<void>;
  ended(actor: string, reason: string): Promise<void>;
}

export interface MeetingSessionOptions {
  meetingId: string;
  room: Room;
  io: Server;
  info: SessionMeetingInfo;
  hooks: SessionHooks;
  iceServers: () => { urls: string | string[]; username?: string; credential?: string }[];
  logger: MediaLogger;
  qualityThresholds: QualityThresholds;
  /** How often stats are sampled and pushed to the chair and IT views (ms). */
  statsIntervalMs?: number;
  /** The connection check: persistence hooks, thresholds, how long it measures. */
  check?: { hooks: CheckHooks; thresholds: CheckThresholdsLike; measureMs?: number };
  onClosed: () => void;
}

/**
 * One meeting's live session: participants, the floor, the agenda position, the raise-hand
 * queue, and the consumers that follow from them. Owns its Room; closing it closes the media.
 */
export class MeetingSession extends EventEmitter<SessionEvents> {
  readonly meetingId: string;
  private readonly participants = new Map<string, Participant>();
  private status: SessionState['status'] = 'waiting';
  private startedAt?: string;
  private agendaIndex = -1;
  private floorSiteId?: string;
  private activeSpeaker?: string;
  private closed = false;
  private readonly log: MediaLogger;
  private readonly statsTimer: NodeJS.Timeout;
  private readonly prevStats = new Map<string, { packets: number; lost: number }>();
  /** Sites whose own media is looped back to them while they run the check. */
  private readonly loopback = new Set<string>();
  private itCallSiteId?: string;
  readonly check?: ConnectionCheck;

  constructor(private readonly options: MeetingSessionOptions) {
    super();
    this.meetingId = options.meetingId;
    this.log = options.logger.child({ component: 'session', meetingId: options.meetingId });
    if (options.info.live) {
      this.status = 'live';
      this.startedAt = new Date().toISOString();
    }
    options.room.on('endpointMediaLost', (endpointId, reason) =>
      this.onMediaLost(endpointId, reason),
    );
    options.room.on('activeSpeaker', (endpointId) => {
      if (endpointId === this.activeSpeaker) return;
      this.activeSpeaker = endpointId;
      this.broadcast('activeSpeakerChanged', endpointId ? { endpointId } : {});
    });
    this.statsTimer = setInterval(() => void this.sampleQuality(), options.statsIntervalMs ?? 2000);
    this.statsTimer.unref();
    if (options.check) {
      this.check = new ConnectionCheck({
        ...options.check,
        logger: this.log,
        sites: options.info.sites,
        participant: (id) => this.participants.get(id),
        setLoopback: (p, on) => {
          if (!p.siteId) return;
          if (on) this.loopback.add(p.siteId);
          else this.loopback.delete(p.siteId);
          this.reconcile(p);
        },
        emitTo: (p, name, payload) => this.emitTo(p, name, payload),
      });
    }
  }

  private get checks(): ConnectionCheck {
    if (!this.check)
      throw new AppError('unavailable', 'Kiểm tra kết nối chưa được bật / Checks are not enabled');
    return this.check;
  }

  get room(): Room {
    return this.options.room;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get state(): SessionState {
    return {
      meetingId: this.meetingId,
      status: this.status,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      agendaIndex: this.agendaIndex,
      ...(this.floorSiteId ? { floorSiteId: this.floorSiteId } : {}),
      handQueue: this.handQueue(),
      ...(this.activeSpeaker ? { activeSpeakerEndpointId: this.activeSpeaker } : {}),
    };
  }

  participantViews() {
    return [...this.participants.values()].map((p) => p.view(this.floorSiteId));
  }

  participant(endpointId: string): Participant | undefined {
    return this.participants.get(endpointId);
  }

  private handQueue(): string[] {
    return [...this.participants.values()]
      .filter((p) => p.handRaisedAt !== undefined && p.siteId)
      .sort((a, b) => a.handRaisedAt! - b.handRaisedAt!)
      .map((p) => p.siteId!);
  }

  // --- connections -----------------------------------------------------------------------------

  /** A socket for an endpoint arrives; a second tab takes over and the first is told why. */
  attach(identity: ParticipantIdentity, socket: Socket): Participant {
    if (this.closed)
      throw new AppError('unavailable', 'Phiên họp đã kết thúc / The session has ended');
    let p = this.participants.get(identity.endpointId);
    if (!p) {
      p = new Participant(identity);
      this.participants.set(p.endpointId, p);
    }
    const previous = p.socket;
    if (previous && previous.id !== socket.id) {
      this.log.info({ endpointId: p.endpointId }, 'endpoint taken over by a new connection');
      previous.emit('replaced', {
        reason: 'Điểm cầu đã được mở ở một cửa sổ khác / This site was opened in another window',
      });
      previous.data.replaced = true;
      previous.disconnect(true);
      this.closeMedia(p, 'replaced');
    }
    p.socket = socket;
    void socket.join([this.roomName(), this.roomName(p.role)]);
    this.pushParticipants();
    this.emit('endpointJoined', this.presence(p));
    return p;
  }

  /** The socket went away: the endpoint is offline at once, its media released. */
  detach(p: Participant, socket: Socket, reason: string): void {
    if (p.socket?.id !== socket.id) return;
    p.socket = undefined;
    this.check?.participantLeft(p);
    if (p.siteId !== undefined && p.siteId === this.itCallSiteId) this.setItCall(undefined);
    this.closeMedia(p, `disconnected: ${reason}`);
    this.log.info({ endpointId: p.endpointId, reason }, 'endpoint offline');
    this.pushParticipants();
    this.emit('endpointLeft', { ...this.presence(p), reason });
  }

  private presence(p: Participant): EndpointPresence {
    return {
      endpointId: p.endpointId,
      role: p.role,
      ...(p.siteId !== undefined ? { siteId: p.siteId } : {}),
      name: p.name,
      at: Date.now(),
    };
  }

  private closeMedia(p: Participant, reason: string): void {
    const media = p.media;
    p.media = undefined;
    media?.close(reason);
    // Others' consumers of its producers close with them; their pages hear consumerClosed.
  }

  private onMediaLost(endpointId: string, reason: string): void {
    const p = this.participants.get(endpointId);
    if (!p) return;
    p.media = undefined;
    p.socket?.emit('mediaRestarted', { reason });
  }

  // --- requests --------------------------------------------------------------------------------

  readonly handlers: {
    [N in RequestName]: (p: Participant, payload: never) => Promise<RequestAnswer<N>>;
  } = {
    join: async (p) => ({
      endpointId: p.endpointId,
      role: p.role,
      ...(p.siteId !== undefined ? { siteId: p.siteId } : {}),
      routerRtpCapabilities: this.room.rtpCapabilities as unknown as Record<string, unknown>,
      iceServers: this.options.iceServers(),
      session: this.state,
      participants: this.participantViews(),
    }),

    setRtpCapabilities: async (p, payload: { rtpCapabilities: types.RtpCapabilities }) => {
      const media = await this.mediaOf(p);
      media.rtpCapabilities = payload.rtpCapabilities;
      this.reconcile(p);
      return {};
    },

    createTransport: async (p, payload: { direction: 'send' | 'recv' }) => {
      if (payload.direction === 'send' && p.role === 'it' && this.status === 'live') {
        throw forbidden(
          'Tổ kỹ thuật không phát trong phiên họp / IT staff do not send during the session',
        );
      }
      const media = await this.mediaOf(p);
      const transport = await media.createTransport(payload.direction);
      transport.on('icestatechange', (state) => {
        if (state === 'disconnected')
          this.log.warn({ endpointId: p.endpointId }, 'ICE disconnected');
      });
      if (payload.direction === 'recv') this.reconcile(p);
      return {
        transportId: transport.id,
        iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
        iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
        dtlsParameters: transport.dtlsParameters as never,
      };
    },

    connectTransport: async (
      p,
      payload: { transportId: string; dtlsParameters: types.DtlsParameters },
    ) => {
      const transport = this.transportOf(p, payload.transportId);
      await transport.connect({ dtlsParameters: payload.dtlsParameters });
      return {};
    },

    restartIce: async (p, payload: { transportId: string }) => {
      const transport = this.transportOf(p, payload.transportId);
      const iceParameters = await transport.restartIce();
      return { iceParameters: iceParameters as unknown as Record<string, unknown> };
    },

    produce: async (
      p,
      payload: {
        transportId: string;
        kind: types.MediaKind;
        rtpParameters: types.RtpParameters;
        source: MediaSource;
        paused?: boolean;
      },
    ) => {
      if (p.role === 'chair' || (p.role === 'it' && this.status === 'live')) {
        throw forbidden('Trang này không phát hình, tiếng / This page does not send media');
      }
      if (payload.source === 'screen' && p.role !== 'station') {
        throw forbidden(
          'Chỉ điểm cầu chính được chia sẻ màn hình / Only the main point shares its screen',
        );
      }
      const expectedKind = payload.source === 'microphone' ? 'audio' : 'video';
      if (payload.kind !== expectedKind)
        throw badRequest(`source ${payload.source} must be ${expectedKind}`);
      this.transportOf(p, payload.transportId);
      const media = await this.mediaOf(p);
      for (const existing of media.producers.values()) {
        if (existing.appData.source === payload.source) existing.close();
      }
      const muted = payload.source === 'microphone' && p.mutedByChair;
      const producer = await media.produce(
        payload.transportId,
        payload.kind,
        payload.rtpParameters,
        payload.source,
        payload.paused === true || muted,
      );
      if (payload.source === 'microphone') {
        p.selfMuted = payload.paused === true;
        void this.room.observeAudio(producer);
      }
      producer.observer.once('close', () => {
        if (!this.closed) this.pushParticipants();
      });
      this.reconcileAll();
      this.pushParticipants();
      return { producerId: producer.id };
    },

    closeProducer: async (p, payload: { producerId: string }) => {
      this.producerOf(p, payload.producerId).close();
      return {};
    },

    pauseProducer: async (p, payload: { producerId: string }) => {
      const producer = this.producerOf(p, payload.producerId);
      await producer.pause();
      if (producer.appData.source === 'microphone') p.selfMuted = true;
      this.pushParticipants();
      return {};
    },

    resumeProducer: async (p, payload: { producerId: string }) => {
      const producer = this.producerOf(p, payload.producerId);
      if (producer.appData.source === 'microphone') {
        p.selfMuted = false;
        if (p.mutedByChair) {
          this.pushParticipants();
          throw forbidden(
            'Chủ trì đang tắt micro của điểm cầu này / The chair has muted this site',
          );
        }
      }
      await producer.resume();
      this.pushParticipants();
      return {};
    },

    resumeConsumer: async (p, payload: { consumerId: string }) => {
      const consumer = this.consumerOf(p, payload.consumerId);
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame().catch(() => {});
      return {};
    },

    setConsumerLayers: async (
      p,
      payload: { consumerId: string; spatialLayer: number; temporalLayer?: number },
    ) => {
      const consumer = this.consumerOf(p, payload.consumerId);
      if (consumer.type !== 'simulcast') return {};
      await consumer.setPreferredLayers({
        spatialLayer: payload.spatialLayer,
        ...(payload.temporalLayer !== undefined ? { temporalLayer: payload.temporalLayer } : {}),
      });
      // A layer switch waits for a keyframe; ask for one rather than wait for the next.
      await consumer.requestKeyFrame().catch(() => {});
      return {};
    },

    requestKeyFrame: async (p, payload: { consumerId: string }) => {
      await this.consumerOf(p, payload.consumerId).requestKeyFrame();
      return {};
    },

    reportStats: async (
      p,
      payload: { recvKbps: number; lossDownPercent: number; jitterMs?: number; rttMs?: number },
    ) => {
      p.reported = { ...payload, at: Date.now() };
      return {};
    },

    raiseHand: async (p) => {
      if (p.role !== 'site')
        throw forbidden('Chỉ điểm cầu mới xin phát biểu / Only sites raise a hand');
      p.handRaisedAt ??= Date.now();
      this.pushSession();
      return {};
    },

    lowerHand: async (p) => {
      p.handRaisedAt = undefined;
      this.pushSession();
      return {};
    },

    startSession: async (p) => {
      if (this.status === 'live') return this.state;
      if (this.status === 'ended')
        throw conflict('Phiên họp đã kết thúc / The session has ended', { status: this.status });
      await this.options.hooks.started(p.endpointId);
      this.status = 'live';
      this.startedAt = new Date().toISOString();
      this.agendaIndex = Math.max(this.agendaIndex, this.options.info.agendaLength > 0 ? 0 : -1);
      this.log.info('session started');
      this.pushSession();
      this.reconcileAll();
      return this.state;
    },

    endSession: async (p, payload: { reason?: string }) => {
      await this.end(
        p.endpointId,
        payload.reason ?? 'Chủ trì kết thúc hội nghị / The chair ended the meeting',
      );
      return {};
    },

    setAgendaItem: async (_p, payload: { index: number }) => {
      if (payload.index >= this.options.info.agendaLength) {
        throw badRequest(`index: the agenda has ${this.options.info.agendaLength} items`);
      }
      this.agendaIndex = payload.index;
      this.pushSession();
      return this.state;
    },

    grantFloor: async (_p, payload: { siteId: string }) => {
      this.requireLive();
      const site = this.siteParticipant(payload.siteId);
      const previous = this.floorSiteId;
      if (previous === payload.siteId) return this.state;
      this.floorSiteId = payload.siteId;
      if (previous) this.broadcast('floorRevoked', { siteId: previous });
      if (site) {
        site.handRaisedAt = undefined;
        if (site.mutedByChair) await this.setMutedByChair(site, false);
      }
      this.log.info({ siteId: payload.siteId }, 'floor granted');
      this.broadcast('floorGranted', { siteId: payload.siteId });
      this.pushSession();
      this.reconcileAll();
      return this.state;
    },

    revokeFloor: async () => {
      const previous = this.floorSiteId;
      if (!previous) return this.state;
      this.floorSiteId = undefined;
      this.broadcast('floorRevoked', { siteId: previous });
      this.pushSession();
      this.reconcileAll();
      return this.state;
    },

    muteSite: async (_p, payload: { siteId?: string }) => {
      const targets = payload.siteId
        ? [this.siteParticipant(payload.siteId)].filter((x): x is Participant => x !== undefined)
        : [...this.participants.values()].filter((x) => x.role === 'site');
      if (payload.siteId && targets.length === 0) {
        throw notFound(
          `Điểm cầu ${payload.siteId} chưa kết nối / site ${payload.siteId} is not connected`,
        );
      }
      for (const t of targets) await this.setMutedByChair(t, true);
      this.pushParticipants();
      return {};
    },

    unmuteSite: async (_p, payload: { siteId: string }) => {
      const site = this.siteParticipant(payload.siteId);
      if (!site)
        throw notFound(
          `Điểm cầu ${payload.siteId} chưa kết nối / site ${payload.siteId} is not connected`,
        );
      await this.setMutedByChair(site, false);
      this.pushParticipants();
      return {};
    },

    dismissHand: async (_p, payload: { siteId: string }) => {
      const site = this.siteParticipant(payload.siteId);
      if (site) site.handRaisedAt = undefined;
      this.pushSession();
      return {};
    },

    // The connection check (ConnectionCheck.ts) and IT's call.
    beginCheck: async (p) => this.checks.begin(p),
    measureUplink: async (p, payload: { checkId: string; durationMs: number }) =>
      this.checks.measureUplink(p, payload.checkId, payload.durationMs),
    submitCheck: async (p, payload: { checkId: string; figures: ClientFigures }) =>
      this.checks.submit(p, payload.checkId, payload.figures),
    abortCheck: async (p, payload: { checkId: string }) => {
      await this.checks.abort(p, payload.checkId);
      return {};
    },
    confirmChecklist: async (p, payload: ChecklistInput) => this.checks.checklist(p, payload),
    requestCheck: async (_p, payload: { siteId?: string }) => this.checks.request(payload.siteId),
    startItCall: async (_p, payload: { siteId: string }) => {
      if (this.status === 'live')
        throw conflict('Không gọi riêng trong phiên họp / No IT call during the session');
      if (!this.siteParticipant(payload.siteId)?.online)
        throw notFound(
          `Điểm cầu ${payload.siteId} chưa kết nối / site ${payload.siteId} is not connected`,
        );
      this.setItCall(payload.siteId);
      return { siteId: payload.siteId };
    },
    endItCall: async () => {
      this.setItCall(undefined);
      return {};
    },
  };

  private setItCall(siteId: string | undefined): void {
    const previous = this.itCallSiteId;
    if (previous === siteId) return;
    this.itCallSiteId = siteId;
    const notify = (id: string | undefined) => {
      const p = id ? this.participants.get(`site:${id}`) : undefined;
      if (p) this.emitTo(p, 'itCallChanged', siteId === id ? { siteId: id } : {});
    };
    notify(previous);
    notify(siteId);
    this.broadcast('itCallChanged', siteId ? { siteId } : {}, ['it']);
    this.log.info({ siteId: siteId ?? null }, siteId ? 'IT call started' : 'IT call ended');
    this.reconcileAll();
  }

  private requireLive(): void {
    if (this.status !== 'live') {
      throw conflict('Phiên họp chưa bắt đầu / The session has not started', {
        status: this.status,
      });
    }
  }

  private siteParticipant(siteId: string): Participant | undefined {
    if (!this.options.info.sites.has(siteId)) {
      throw notFound(
        `Điểm cầu ${siteId} không thuộc hội nghị / site ${siteId} is not part of this meeting`,
      );
    }
    return this.participants.get(`site:${siteId}`);
  }

  private async setMutedByChair(p: Participant, muted: boolean): Promise<void> {
    p.mutedByChair = muted;
    for (const producer of p.media?.producers.values() ?? []) {
      if (producer.appData.source !== 'microphone') continue;
      if (muted) await producer.pause();
      else if (!p.selfMuted) await producer.resume();
    }
    p.socket?.emit('mutedByChair', { muted });
  }

  private async mediaOf(p: Participant): Promise<MediaEndpoint> {
    if (p.media && !p.media.isClosed) return p.media;
    const media = await this.room.addEndpoint(p.endpointId);
    p.media = media;
    return media;
  }

  private transportOf(p: Participant, transportId: string) {
    const transport = p.media?.transport(transportId);
    if (!transport) throw notFound(`transportId: no transport ${transportId} for this endpoint`);
    return transport;
  }

  private producerOf(p: Participant, producerId: string) {
    const producer = p.media?.producers.get(producerId);
    if (!producer) throw notFound(`producerId: no producer ${producerId} for this endpoint`);
    return producer;
  }

  private consumerOf(p: Participant, consumerId: string) {
    const consumer = p.media?.consumers.get(consumerId);
    if (!consumer) throw notFound(`consumerId: no consumer ${consumerId} for this endpoint`);
    return consumer;
  }

  // --- consumers -------------------------------------------------------------------------------

  private reconcileAll(): void {
    for (const p of this.participants.values()) this.reconcile(p);
  }

  /** Brings one receiver's consumers in line with the rules; serialized per receiver. */
  private reconcile(receiver: Participant): void {
    receiver.reconciling = receiver.reconciling
      .then(() => this.reconcileNow(receiver))
      .catch((err) => this.log.error({ err, endpointId: receiver.endpointId }, 'reconcile failed'));
  }

  private async reconcileNow(receiver: Participant): Promise<void> {
    const media = receiver.media;
    if (this.closed || !media || media.isClosed || !media.rtpCapabilities || !media.recvTransport())
      return;
    const state = {
      status: this.status,
      ...(this.floorSiteId ? { floorSiteId: this.floorSiteId } : {}),
      loopbackSiteIds: this.loopback,
      ...(this.itCallSiteId ? { itCallSiteId: this.itCallSiteId } : {}),
    };
    const wanted = new Set<string>();
    for (const sender of this.participants.values()) {
      // The receiver itself is a candidate too: the rules loop a checking site's media back.
      if (!sender.media) continue;
      for (const producer of sender.media.producers.values()) {
        const want = wants(receiver, sender, producer.appData.source as MediaSource, state);
        if (!want) continue;
        wanted.add(producer.id);
        if (media.consumerOf(producer.id)) continue;
        await this.createConsumer(receiver, sender, producer, want.spatialLayer);
      }
    }
    for (const consumer of [...media.consumers.values()]) {
      if (!wanted.has(consumer.producerId)) {
        consumer.close();
        receiver.socket?.emit('consumerClosed', { consumerId: consumer.id });
      }
    }
  }

  private async createConsumer(
    receiver: Participant,
    sender: Participant,
    producer: types.Producer<EndpointAppData>,
    spatialLayer: number,
  ): Promise<void> {
    const media = receiver.media!;
    const consumer = await this.room.consume(media, producer, {
      appData: { source: producer.appData.source as string },
      preferredLayers: { spatialLayer, temporalLayer: 2 },
    });
    if (!consumer) return;
    const socket = receiver.socket;
    consumer.on('producerclose', () => {
      media.consumers.delete(consumer.id);
      socket?.emit('consumerClosed', { consumerId: consumer.id });
    });
    consumer.on('transportclose', () => media.consumers.delete(consumer.id));
    consumer.on('producerpause', () => socket?.emit('consumerPaused', { consumerId: consumer.id }));
    consumer.on('producerresume', () =>
      socket?.emit('consumerResumed', { consumerId: consumer.id }),
    );
    consumer.on('layerschange', (layers) =>
      socket?.emit('consumerLayersChanged', {
        consumerId: consumer.id,
        spatialLayer: layers?.spatialLayer ?? null,
      }),
    );
    this.emitTo(receiver, 'newConsumer', {
      consumerId: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as never,
      source: producer.appData.source as MediaSource,
      endpointId: sender.endpointId,
      role: sender.role,
      ...(sender.siteId !== undefined ? { siteId: sender.siteId } : {}),
    });
  }

  // --- quality ---------------------------------------------------------------------------------

  private async sampleQuality(): Promise<void> {
    if (this.closed) return;
    for (const p of this.participants.values()) {
      if (!p.media || !p.online) {
        p.quality = undefined;
        continue;
      }
      try {
        p.quality = await this.measure(p, p.media);
      } catch {
        // A transport closing mid-sample is normal; the next sample is fresh.
      }
    }
    this.pushParticipants(['chair', 'it', 'station']);
  }

  private async measure(p: Participant, media: MediaEndpoint): Promise<Quality> {
    let sendKbps = 0;
    let recvKbps = 0;
    for (const t of media.transports.values()) {
      const [s] = await t.getStats();
      if (!s) continue;
      sendKbps += (s.recvBitrate ?? 0) / 1000;
      recvKbps += (s.sendBitrate ?? 0) / 1000;
    }
    let packets = 0;
    let lost = 0;
    let jitter = 0;
    for (const producer of media.producers.values()) {
      for (const s of await producer.getStats()) {
        packets += s.packetCount ?? 0;
        lost += s.packetsLost ?? 0;
        jitter = Math.max(
          jitter,
          ((s.jitter ?? 0) / (producer.kind === 'audio' ? 48000 : 90000)) * 1000,
        );
      }
    }
    const prev = this.prevStats.get(p.endpointId) ?? { packets: 0, lost: 0 };
    this.prevStats.set(p.endpointId, { packets, lost });
    const dPackets = Math.max(0, packets - prev.packets);
    const dLost = Math.max(0, lost - prev.lost);
    const lossUpPercent = dPackets + dLost > 0 ? (dLost / (dPackets + dLost)) * 100 : 0;
    let rttMs: number | undefined;
    let layer: number | undefined;
    let lossDown = 0;
    for (const consumer of media.consumers.values()) {
      const stats = await consumer.getStats();
      const out = stats.find((s) => s.type === 'outbound-rtp');
      if (out?.roundTripTime) rttMs = Math.max(rttMs ?? 0, out.roundTripTime);
      if (out?.fractionLost) lossDown = Math.max(lossDown, (out.fractionLost / 256) * 100);
      if (consumer.kind === 'video' && consumer.currentLayers)
        layer = Math.max(layer ?? 0, consumer.currentLayers.spatialLayer);
    }
    const reported = p.reported && Date.now() - p.reported.at < 10_000 ? p.reported : undefined;
    const q: Omit<Quality, 'grade'> = {
      sendKbps: Math.round(sendKbps),
      recvKbps: Math.round(reported?.recvKbps ?? recvKbps),
      lossUpPercent: Math.round(lossUpPercent * 10) / 10,
      lossDownPercent: Math.round((reported?.lossDownPercent ?? lossDown) * 10) / 10,
      ...(rttMs !== undefined || reported?.rttMs !== undefined
        ? { rttMs: Math.round(reported?.rttMs ?? rttMs ?? 0) }
        : {}),
      ...(jitter || reported?.jitterMs
        ? { jitterMs: Math.round(Math.max(jitter, reported?.jitterMs ?? 0)) }
        : {}),
      ...(layer !== undefined ? { layer } : {}),
    };
    return { ...q, grade: gradeQuality(q, this.options.qualityThresholds) };
  }

  // --- notifications ---------------------------------------------------------------------------

  private roomName(role?: EndpointRole): string {
    return role ? `meeting:${this.meetingId}:${role}` : `meeting:${this.meetingId}`;
  }

  emitTo<N extends NotificationName>(
    p: Participant,
    name: N,
    payload: NotificationPayload<N>,
  ): void {
    p.socket?.emit(name, payload);
  }

  private broadcast<N extends NotificationName>(
    name: N,
    payload: NotificationPayload<N>,
    roles?: EndpointRole[],
  ): void {
    const target = roles
      ? this.options.io.to(roles.map((r) => this.roomName(r)))
      : this.options.io.to(this.roomName());
    target.emit(name, payload);
  }

  private pushSession(): void {
    const state = this.state;
    this.broadcast('sessionChanged', state);
    this.emit('stateChanged', state);
  }

  private pushParticipants(roles?: EndpointRole[]): void {
    this.broadcast('participantsChanged', { participants: this.participantViews() }, roles);
  }

  // --- ending ----------------------------------------------------------------------------------

  /** Ends the session: tells everyone, marks the meeting ended, disconnects politely, closes media. */
  async end(actor: string, reason: string): Promise<void> {
    if (this.status === 'ended') return;
    this.status = 'ended';
    this.floorSiteId = undefined;
    this.log.info({ actor, reason }, 'session ended');
    this.broadcast('sessionEnded', { reason });
    this.pushSession();
    try {
      await this.options.hooks.ended(actor, reason);
    } finally {
      // Give the pages a moment to show the reason before the sockets close.
      setTimeout(() => this.close('ended'), 300).unref();
    }
  }

  /** Disconnects every socket and closes the room. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    for (const p of this.participants.values()) {
      p.socket?.disconnect(true);
      p.socket = undefined;
      p.media = undefined;
    }
    this.participants.clear();
    this.room.close(reason);
    this.options.onClosed();
    this.emit('closed', reason);
  }
}
