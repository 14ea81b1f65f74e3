import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import type { MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { MediaLogger } from '../../media/MediaLogger.js';
import type { Room } from '../../media/Room.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import { AppError, notFound } from '../../protocol/errors.js';
import type { SipSiteCallState } from '../../protocol/sip.js';
import type { EndpointRole, SessionState } from '../../protocol/socket.js';
import type { Text } from '../../protocol/text.js';
import type { ConnectionCheck } from '../ConnectionCheck.js';
import { type ChairChange, ChairState } from './ChairState.js';
import { ConsumerReconciler } from './ConsumerReconciler.js';
import { applyChairChange, type ChairEffectsContext } from './chairEffects.js';
import { IdleTimer } from './IdleTimer.js';
import { type ExternalLink, Participant, type ParticipantIdentity } from './Participant.js';
import { QualitySampler } from './QualitySampler.js';
import { SessionMirror } from './SessionMirror.js';
import { SessionNotifier } from './SessionNotifier.js';
import { SessionRole } from './SessionRole.js';
import { sessionCheck } from './sessionCheck.js';
import type { SessionEvents } from './sessionEvents.js';
import type { EndAction, MeetingSessionOptions, SessionMeetingInfo } from './sessionTypes.js';

export type { EndAction, SessionHooks, SessionMeetingInfo } from './sessionTypes.js';

/** How long the pages get to show why the session ended before their sockets close. */
const FAREWELL_MS = 300;
const SESSION_ENDED: Text = { vi: 'Phiên họp đã kết thúc', en: 'The session has ended' };
const SITE_REMOVED: Text = {
  vi: 'Điểm cầu này không còn tham dự hội nghị',
  en: 'This site no longer takes part in the meeting',
};

/**
 * One meeting's live session, the only writer of its live state: who is connected, the chair's
 * state (ChairState), and the media that follows from it (ConsumerReconciler). Requests arrive
 * through the handler table (requestHandlers.ts); admin actions from HTTP arrive as method calls
 * (end, applyInfo, disconnect). Owns its Room: closing the session closes the media.
 */
export class MeetingSession extends EventEmitter<SessionEvents> {
  readonly meetingId: string;
  readonly chair: ChairState;
  readonly check?: ConnectionCheck;
  private readonly participants = new Map<string, Participant>();
  private info: SessionMeetingInfo;
  private closed = false;
  private ending?: Promise<void>;
  private readonly idle: IdleTimer;
  /** Sites whose own media is looped back to them while they run the check. */
  private readonly loopback: ReadonlySet<string> = new Set();
  readonly log: MediaLogger;
  readonly consumers: ConsumerReconciler;
  private readonly sampler: QualitySampler;
  private readonly notifier: SessionNotifier;
  private readonly effects: ChairEffectsContext;
  /** Solo, owner or edge of a cascaded meeting: who decides, saves and speaks to the rooms. */
  readonly role: SessionRole;
  /** The meeting's other nodes (a cascade); absent on a single node. */
  readonly mirror?: SessionMirror;

  constructor(private readonly options: MeetingSessionOptions) {
    super();
    this.meetingId = options.meetingId;
    this.info = options.info;
    this.log = options.logger.child({ component: 'session', meetingId: options.meetingId });
    this.chair = ChairState.fromMeeting(options.info);
    this.role = SessionRole.of(options.peers);
    this.notifier = new SessionNotifier({
      io: options.io,
      meetingId: this.meetingId,
      participant: (id) => this.participants.get(id),
      participants: () => this.participants.values(),
      chair: this.chair,
      // On an edge the owner speaks to the meeting's rooms; this node only to its own pages.
      relay: this.role.decides,
      flushed: (changed, removed) => this.mirror?.publishChanges(changed, removed),
    });
    this.consumers = new ConsumerReconciler({
      room: options.room,
      logger: this.log,
      participants: () => this.participants.values(),
      ruleState: () => this.chair.rules(this.loopback),
      isClosed: () => this.closed,
      ...(options.peers ? { fetch: options.peers.fetch.bind(options.peers) } : {}),
    });
    this.sampler = new QualitySampler({
      thresholds: options.qualityThresholds,
      intervalMs: options.statsIntervalMs ?? 2000,
      participants: () => this.participants.values(),
      watched: () => [...this.participants.values()].some((p) => p.online && p.role !== 'site'),
      sampled: () => this.notifier.sampled(),
    });
    this.idle = new IdleTimer(options.idleCloseMs ?? 120_000, () => {
      this.log.info('nobody connected: closing the session');
      this.close('idle');
    });
    if (options.peers) {
      this.mirror = new SessionMirror({
        peers: options.peers,
        role: this.role,
        chair: this.chair,
        log: this.log,
        participant: (id) => this.participants.get(id),
        participants: () => this.participants.values(),
        add: (p) => this.participants.set(p.endpointId, p),
        changed: (ps) => this.remoteChanged(ps),
        apply: (change) => applyChairChange(this.effects, change),
        isClosed: () => this.closed,
        ended: () => setTimeout(() => this.close('ended'), FAREWELL_MS).unref(),
      });
    }
    this.effects = {
      notifier: this.notifier,
      consumers: this.consumers,
      log: this.log,
      participant: (id) => this.participants.get(id),
      sessionChanged: () => this.sessionChanged(),
    };
    options.room.on('endpointMediaLost', (endpointId, reason) => {
      const p = this.participants.get(endpointId);
      if (!p) return;
      p.media = undefined;
      // The media layer's reason is for the log; the page only re-creates its transports.
      this.log.info({ endpointId, reason }, 'endpoint media lost');
      this.notifier.mediaRestarted(p);
    });
    options.room.on('activeSpeaker', (endpointId) =>
      this.notifier.activeSpeakerChanged(endpointId),
    );
    if (options.check)
      ({ check: this.check, loopback: this.loopback } = sessionCheck(options.check, {
        log: this.log,
        sites: () => this.info.sites,
        participant: (id) => this.participants.get(id),
        notifier: this.notifier,
        reconcile: (p) => this.consumers.one(p),
      }));
  }

  get room(): Room {
    return this.options.room;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get title(): string {
    return this.info.title;
  }

  get state(): SessionState {
    const speaker = this.notifier.activeSpeaker;
    return {
      ...this.chair.view(this.meetingId),
      ...(speaker && { activeSpeakerEndpointId: speaker }),
    };
  }

  /** The session and participants as this endpoint may see them (liveDataRules.ts). */
  viewFor(p: Participant) {
    return this.notifier.scopedFor(p, this.state);
  }

  participant(endpointId: string): Participant | undefined {
    return this.participants.get(endpointId);
  }

  iceServers(endpointId: string) {
    return this.options.iceServers(endpointId);
  }

  get agendaLength(): number {
    return this.info.agendaLength;
  }

  // --- connections -----------------------------------------------------------------------------

  /** A socket for an endpoint arrives; a second tab takes over and the first is told why. */
  attach(identity: ParticipantIdentity, socket: Socket): Participant {
    const p = this.admit(identity);
    if ((p.socket && p.socket.id !== socket.id) || p.external) {
      this.log.info({ endpointId: p.endpointId }, 'endpoint taken over by a new page');
      // A second tab, or the site's page taking over from its room system's call.
      p.letGo(
        {
          vi: 'Điểm cầu đã được mở ở một cửa sổ khác',
          en: 'This site was opened in another window',
        },
        'replaced by a page',
      );
    }
    p.socket = socket;
    void socket.join(this.notifier.roomsFor(p.role, p.siteId));
    this.notifier.changed(p);
    this.emit('endpointJoined', p.presence());
    return p;
  }

  /**
   * A room system joins without a socket (a SIP call): it takes over from the site's page if
   * one is open, gets its media endpoint at once (its transports are PlainTransports) and is
   * online until detachExternal.
   */
  async attachExternal(identity: ParticipantIdentity, link: ExternalLink): Promise<Participant> {
    const p = this.admit(identity);
    p.letGo(
      {
        vi: 'Điểm cầu đã được nối bằng thiết bị hội nghị của phòng họp',
        en: "This site was connected by its hall's room system",
      },
      'replaced by another call',
    );
    p.external = link;
    p.media = await this.room.addEndpoint(p.endpointId);
    if (p.external !== link) {
      p.media?.close('call replaced');
      throw new AppError('unavailable', { vi: 'Cuộc gọi đã kết thúc', en: 'The call has ended' });
    }
    this.notifier.changed(p);
    this.emit('endpointJoined', p.presence());
    return p;
  }

  /** A room system's call ended: like a page's socket going away. */
  detachExternal(p: Participant, link: ExternalLink, reason: string): void {
    if (p.external !== link) return;
    p.external = undefined;
    this.wentOffline(p, reason, 'room system offline');
  }

  /** The socket went away: the endpoint is offline at once, its media released. */
  detach(p: Participant, socket: Socket, reason: string): void {
    if (p.socket?.id !== socket.id) return;
    p.socket = undefined;
    this.check?.participantLeft(p);
    this.wentOffline(p, reason, 'endpoint offline');
  }

  /** The endpoint's page or call is gone: its IT call ends, its media goes, the others see it. */
  private wentOffline(p: Participant, reason: string, what: string): void {
    if (this.role.decides && p.siteId !== undefined && p.siteId === this.chair.itCall)
      void this.apply(this.chair.endItCall());
    p.closeMedia();
    this.log.info({ endpointId: p.endpointId, reason }, what);
    if (!this.closed) {
      this.notifier.changed(p);
      this.emit('endpointLeft', { ...p.presence(), reason });
      if (!this.anyoneConnected()) this.idle.arm();
    }
  }

  /** A page or a call of this endpoint may join: the session runs and the site still takes part. */
  private admit(identity: ParticipantIdentity): Participant {
    this.assertOpen();
    if (identity.siteId !== undefined && !this.chair.hasSite(identity.siteId))
      throw notFound(SITE_REMOVED);
    this.idle.clear();
    const p = this.participantFor(identity);
    // It was on another node of the meeting: it is here now.
    p.remote = undefined;
    return p;
  }

  private assertOpen(): void {
    if (this.closed || this.ending) throw new AppError('unavailable', SESSION_ENDED);
  }

  private participantFor(identity: ParticipantIdentity): Participant {
    let p = this.participants.get(identity.endpointId);
    if (!p) {
      p = new Participant(identity);
      this.participants.set(p.endpointId, p);
    }
    return p;
  }

  /** Someone is in the meeting through this session: here, or (on the owner) on an edge. */
  private anyoneConnected(): boolean {
    for (const x of this.participants.values())
      if (x.socket || x.external || (this.role.decides && x.remote?.view.online)) return true;
    return false;
  }

  /** Endpoints of the meeting's other nodes changed (cascade). */
  private remoteChanged(changed: Participant[]): void {
    this.notifier.changed(...changed);
    this.consumers.all();
    if (!this.role.decides) return;
    const itCall = this.chair.itCall;
    if (itCall !== undefined && changed.some((p) => p.siteId === itCall && !p.online))
      void this.apply(this.chair.endItCall());
    if (this.anyoneConnected()) this.idle.clear();
    else this.idle.arm();
  }

  /**
   * The endpoint an encoder publishes for (server/ingest/), whether or not its page is open:
   * its producers reach every receiver as the page's would.
   */
  ingestFor(identity: ParticipantIdentity): Participant {
    this.assertOpen();
    return this.participantFor(identity);
  }

  /** An encoder's producers came or went: receivers follow, the pages show it. */
  ingestChanged(p: Participant): void {
    if (this.closed) return;
    this.consumers.all();
    this.notifier.changed(p);
  }

  /** Server-side removal (link revoked, site removed): tell the page why, then drop it. */
  disconnect(endpointId: string, reason: Text): void {
    const p = this.participants.get(endpointId);
    const link = p?.external;
    if (p && link) {
      link.end(reason.en);
      this.detachExternal(p, link, 'access revoked');
      return;
    }
    const socket = p?.socket;
    if (!p || !socket) return;
    socket.emit('accessRevoked', { reason });
    socket.data.revoked = true;
    this.detach(p, socket, 'access revoked');
    socket.disconnect(true);
  }

  async mediaOf(p: Participant): Promise<MediaEndpoint> {
    if (p.media && !p.media.isClosed) return p.media;
    if (this.ending || this.room.isClosed) throw new AppError('unavailable', SESSION_ENDED);
    const media = await this.room.addEndpoint(p.endpointId);
    if (!p.socket) {
      // The socket left while the endpoint was being placed.
      media.close('endpoint gone');
      throw new AppError('unavailable', { vi: 'Kết nối đã đóng', en: 'The connection has closed' });
    }
    p.media = media;
    return media;
  }

  // --- the chair's state -----------------------------------------------------------------------

  /** Carries out what a ChairState change implies: notifications, mutes, consumers, saving. */
  async apply(change: ChairChange, options: { session?: boolean } = {}): Promise<void> {
    await applyChairChange(this.effects, change, options);
    // The owner decides; the edges of a cascaded meeting take each new state whole.
    if (this.role.publishesChair) this.role.peers?.publishChair(this.chair.snapshot());
  }

  sessionChanged(): void {
    this.notifier.chairChanged();
    const state = this.state;
    this.notifier.sessionChanged(state);
    // An edge only shows the owner's state to its own pages: the owner saves it and reports it.
    if (!this.role.decides) return;
    this.options.hooks.saveState?.(this.chair.snapshot());
    this.emit('stateChanged', state);
  }

  /** Something about this endpoint changed that others show (media, mute, name). */
  participantChanged(p: Participant): void {
    this.notifier.changed(p);
  }

  /** A SIP site's call state (server/sip/ owns it): the chair's and IT's lists show it. */
  showCall(siteId: string, call: SipSiteCallState | undefined): void {
    if (this.closed || !this.chair.hasSite(siteId)) return;
    const name = this.info.sites.get(siteId) ?? siteId;
    const p = this.participantFor({
      endpointId: siteEndpointId(siteId),
      role: 'site',
      siteId,
      name,
    });
    if (p.call === call) return;
    p.call = call;
    this.notifier.changed(p);
  }

  /** Goes live: the store first (it may refuse), then everyone is told. */
  async start(actor: string, options: { keepItCall?: boolean } = {}): Promise<SessionState> {
    if (this.chair.current === 'live') return this.state;
    await this.options.hooks.started(actor);
    const change = this.chair.start(options);
    this.log.info({ actor }, 'session started');
    await this.apply(change);
    return this.state;
  }

  // --- the meeting was edited ------------------------------------------------------------------

  /** New sites may join, removed ones are disconnected, renamed ones renamed, the agenda kept. */
  async applyInfo(info: SessionMeetingInfo): Promise<void> {
    if (this.closed) return;
    this.info = { ...info, live: this.chair.current === 'live' };
    this.chair.setAgendaLength(info.agendaLength);
    const change = this.chair.setSites(info.sites.keys());
    for (const p of this.participants.values()) {
      if (p.siteId === undefined) continue;
      const name = info.sites.get(p.siteId);
      if (name === undefined) {
        this.disconnect(p.endpointId, SITE_REMOVED);
        this.participants.delete(p.endpointId);
        this.notifier.gone(p.endpointId);
      } else if (p.name !== name) {
        p.name = name;
        this.notifier.changed(p);
      }
    }
    await this.apply(change);
    this.notifier.broadcast('meetingUpdated', {});
  }

  // --- ending ----------------------------------------------------------------------------------

  /**
   * Ends the session, whoever asked: tells every endpoint why, closes the media, writes the
   * store (end or cancel), then closes the sockets. One promise for concurrent callers.
   */
  end(actor: string, reason: Text, action: EndAction = 'end'): Promise<void> {
    this.ending ??= (async () => {
      const change = this.chair.end();
      this.log.info({ actor, reason: reason.en, action }, 'session ended');
      this.notifier.broadcast('sessionEnded', { reason });
      await this.apply(change);
      this.room.close('ended');
      try {
        await this.options.hooks.ended(actor, action);
      } finally {
        // Give the pages a moment to show the reason before the sockets close.
        setTimeout(() => this.close('ended'), FAREWELL_MS).unref();
      }
    })();
    return this.ending;
  }

  /** Disconnects every socket and closes the room. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    // The other nodes of the meeting see this node's endpoints go.
    this.mirror?.publishAll({ offline: true });
    this.closed = true;
    this.idle.clear();
    this.sampler.stop();
    this.notifier.stop();
    for (const p of this.participants.values()) {
      p.socket?.disconnect(true);
      p.socket = undefined;
      p.external?.end(`session ${reason}`);
      p.external = undefined;
      p.media = undefined;
    }
    this.participants.clear();
    this.room.close(reason);
    this.options.onClosed();
    this.emit('closed', reason);
    this.removeAllListeners();
  }

  /** Roles' socket.io rooms, for notifications from outside the session. */
  roomsFor(role: EndpointRole): string[] {
    return this.notifier.roomsFor(role);
  }
}
