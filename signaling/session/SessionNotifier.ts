import type { Server } from 'socket.io';
import { siteEndpointId } from '../../protocol/endpoints.js';
import type {
  EndpointRole,
  NotificationName,
  NotificationPayload,
  Participant as ParticipantView,
  SessionState,
} from '../../protocol/socket.js';
import { type LiveDataReceiver, participantsFor, sessionStateFor } from '../liveDataRules.js';
import type { ChairState } from './ChairState.js';
import type { Participant } from './Participant.js';

export interface SessionNotifierOptions {
  io: Server;
  meetingId: string;
  participant(endpointId: string): Participant | undefined;
  participants(): Iterable<Participant>;
  chair: ChairState;
  /** Emit to the meeting's rooms (default). An edge of a cascaded meeting does not: the owner does. */
  relay?: boolean;
  /** After each message: the endpoints whose entry changed and those removed. */
  flushed?(changed: readonly string[], removed: string[]): void;
}

/** Who runs and watches the meeting: they see every endpoint (liveDataRules.ts). */
const STAFF: EndpointRole[] = ['chair', 'it'];

export function receiverOf(p: Participant): LiveDataReceiver {
  return { role: p.role, endpointId: p.endpointId, ...(p.siteId ? { siteId: p.siteId } : {}) };
}
/** Participant changes within this window go out as one message (a join storm sends a few). */
const COALESCE_MS = 50;

/**
 * Notifications from a session to its endpoints, through socket.io rooms: one for the meeting,
 * one per role. What each receiver may see follows liveDataRules.ts: the chair and IT get
 * participant changes as deltas (only the entries that changed, coalesced over a short window);
 * the station and each site get their own scoped list (a site: itself, the main point, the
 * chair and the floor site), sent only when it changed. So a change costs one small message
 * per receiver that is concerned, whatever the meeting's size.
 */
export class SessionNotifier {
  /** Endpoints whose entry changed since the last message. */
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  /** The scoped list and state each site page last received (JSON). */
  private readonly sentList = new WeakMap<Participant, string>();
  private readonly sentState = new WeakMap<Participant, string>();
  /** What each site's entry last showed of the chair's state (hand, mute, floor). */
  private readonly chairMarks = new WeakMap<Participant, string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The active speaker last announced. */
  private speaker?: string;

  constructor(private readonly options: SessionNotifierOptions) {}

  /** The rooms an endpoint's socket joins: the meeting's, its role's, and its site's. */
  roomsFor(role: EndpointRole, siteId?: string): string[] {
    const rooms = [this.room(), this.room(role)];
    if (siteId !== undefined) rooms.push(siteRoom(this.options.meetingId, siteId));
    return rooms;
  }

  private room(role?: EndpointRole): string {
    const { meetingId } = this.options;
    return role ? `meeting:${meetingId}:${role}` : `meeting:${meetingId}`;
  }

  broadcast<N extends NotificationName>(
    name: N,
    payload: NotificationPayload<N>,
    roles?: EndpointRole[],
  ): void {
    if (this.stopped || this.options.relay === false) return;
    const target = roles ? roles.map((r) => this.room(r)) : this.room();
    this.options.io.to(target).emit(name, payload);
  }

  /** These endpoints changed (joined, left, muted, published…): tell everyone. */
  changed(...participants: Participant[]): void {
    for (const p of participants) this.dirty.add(p.endpointId);
    this.schedule();
  }

  /** The chair's state changed: send the sites whose hand, mute or floor mark changed. */
  chairChanged(): void {
    const { chair } = this.options;
    for (const p of this.options.participants()) {
      if (p.siteId === undefined) continue;
      const marks = `${chair.hasHandRaised(p.siteId)}${chair.isMuted(p.siteId)}${chair.floor === p.siteId}`;
      if (this.chairMarks.get(p) === marks) continue;
      this.chairMarks.set(p, marks);
      this.changed(p);
    }
  }

  /** Every endpoint's quality was sampled. */
  sampled(): void {
    for (const p of this.options.participants()) this.dirty.add(p.endpointId);
    this.schedule();
  }

  /** The endpoint left the meeting for good (its site was removed). */
  gone(endpointId: string): void {
    this.dirty.delete(endpointId);
    this.removed.add(endpointId);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const { chair } = this.options;
    const changed: ParticipantView[] = [];
    for (const endpointId of this.dirty) {
      const p = this.options.participant(endpointId);
      if (p) changed.push(p.view(chair));
    }
    const removed = [...this.removed];
    const changedIds = [...this.dirty];
    this.dirty.clear();
    this.removed.clear();
    if (changed.length || removed.length) {
      const extra = removed.length ? { removed } : {};
      this.broadcast('participantsUpdated', { participants: changed, ...extra }, STAFF);
      // The main point sees everyone, with its own figures only.
      for (const p of this.options.participants()) {
        if (p.role !== 'station' || !p.socket) continue;
        const participants = participantsFor(receiverOf(p), changed);
        p.socket.emit('participantsUpdated', { participants, ...extra });
      }
    }
    this.sendSiteLists();
    this.options.flushed?.(changedIds, removed);
  }

  /** Every site's own view of the participants, when it changed. */
  private sendSiteLists(): void {
    const { chair } = this.options;
    const all = [...this.options.participants()];
    // What a site may see of others is at most the main point, the chair and the floor site.
    const shared = all
      .filter(
        (p) => p.role === 'station' || p.role === 'chair' || (p.siteId && p.siteId === chair.floor),
      )
      .map((p) => p.view(chair));
    for (const p of all) {
      if (!p.socket || p.role !== 'site') continue;
      const own = p.view(chair);
      const candidates = [own, ...shared.filter((v) => v.endpointId !== own.endpointId)];
      const scoped = participantsFor(receiverOf(p), candidates);
      const json = JSON.stringify(scoped);
      if (this.sentList.get(p) === json) continue;
      this.sentList.set(p, json);
      p.socket.emit('participantsChanged', { participants: scoped });
    }
  }

  /** The session state: whole to the staff and the station, scoped to each site. */
  sessionChanged(state: SessionState): void {
    if (this.stopped) return;
    this.broadcast('sessionChanged', state, ['chair', 'it', 'station']);
    for (const p of this.options.participants()) {
      if (p.role !== 'site' || !p.socket) continue;
      const scoped = sessionStateFor(receiverOf(p), state);
      const json = JSON.stringify(scoped);
      if (this.sentState.get(p) === json) continue;
      this.sentState.set(p, json);
      p.socket.emit('sessionChanged', scoped);
    }
  }

  /** Who speaks now (the room's audio level observer). */
  get activeSpeaker(): string | undefined {
    return this.speaker;
  }

  /** Who speaks: sites hear of it only for the main point, the chair, the floor site or themselves. */
  activeSpeakerChanged(endpointId: string | undefined): void {
    if (endpointId === this.speaker) return;
    this.speaker = endpointId;
    const floor = this.options.chair.floor;
    const public_ =
      endpointId === undefined ||
      endpointId === 'station' ||
      endpointId === 'chair' ||
      (floor !== undefined && endpointId === siteEndpointId(floor));
    if (public_) {
      this.broadcast('activeSpeakerChanged', endpointId ? { endpointId } : {});
      return;
    }
    this.broadcast('activeSpeakerChanged', { endpointId }, ['chair', 'it', 'station']);
    this.broadcast('activeSpeakerChanged', {}, ['site']);
    this.options.participant(endpointId)?.socket?.emit('activeSpeakerChanged', { endpointId });
  }

  /** A page just joined: what it may see now (the join answer). */
  scopedFor(
    p: Participant,
    state: SessionState,
  ): { session: SessionState; participants: ParticipantView[] } {
    const { chair } = this.options;
    const views = [...this.options.participants()].map((x) => x.view(chair));
    const receiver = receiverOf(p);
    const participants = participantsFor(receiver, views);
    const session = sessionStateFor(receiver, state);
    if (p.role === 'site') {
      this.sentList.set(p, JSON.stringify(participants));
      this.sentState.set(p, JSON.stringify(session));
    }
    return { session, participants };
  }

  /** The media server restarted under this endpoint: its page re-creates its transports. */
  mediaRestarted(p: Participant): void {
    p.socket?.emit('mediaRestarted', {
      reason: { vi: 'Máy chủ media đã khởi động lại', en: 'The media server restarted' },
    });
  }

  /** To one endpoint: its page here, or a site on another node of the meeting through its room. */
  toParticipant<N extends NotificationName>(
    p: Participant,
    name: N,
    payload: NotificationPayload<N>,
  ): void {
    if (p.socket) p.socket.emit(name, payload);
    else if (p.siteId !== undefined)
      this.options.io.to(siteRoom(this.options.meetingId, p.siteId)).emit(name, payload);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** One site's page in a meeting: a room, so a notification reaches it on whichever node. */
export const siteRoom = (meetingId: string, siteId: string) =>
  `meeting:${meetingId}:site:${siteId}`;
