import type { Server } from 'socket.io';
import type { EndpointRole, NotificationName, NotificationPayload } from '../protocol/socket.js';
import type { ChairState } from './ChairState.js';
import type { Participant } from './Participant.js';

export interface SessionBroadcasterOptions {
  io: Server;
  meetingId: string;
  participant(endpointId: string): Participant | undefined;
  participants(): Iterable<Participant>;
  chair: ChairState;
}

/** Who watches every endpoint's figures; sites only follow the meeting. */
const STAFF: EndpointRole[] = ['chair', 'it', 'station'];
/** Participant changes within this window go out as one message (a join storm sends a few). */
const COALESCE_MS = 50;

/**
 * Notifications from a session to its endpoints, through socket.io rooms: one for the meeting,
 * one per role. Participant changes go out as deltas (only the entries that changed), coalesced
 * over a short window, so a change costs one small message per receiver whatever the meeting's
 * size. Quality figures go to the staff roles only.
 */
export class SessionBroadcaster {
  /** endpointId → whether sites must hear of the change too (not for quality samples). */
  private readonly dirty = new Map<string, boolean>();
  private readonly removed = new Set<string>();
  /** What each site's entry last showed of the chair's state (hand, mute, floor). */
  private readonly chairMarks = new WeakMap<Participant, string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: SessionBroadcasterOptions) {}

  roomsFor(role: EndpointRole): string[] {
    return [this.room(), this.room(role)];
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
    if (this.stopped) return;
    const target = roles ? roles.map((r) => this.room(r)) : this.room();
    this.options.io.to(target).emit(name, payload);
  }

  /** These endpoints changed (joined, left, muted, published…): tell everyone. */
  changed(...participants: Participant[]): void {
    for (const p of participants) this.dirty.set(p.endpointId, true);
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

  /** Every endpoint's quality was sampled: tell the staff roles. */
  sampled(): void {
    for (const p of this.options.participants())
      if (!this.dirty.has(p.endpointId)) this.dirty.set(p.endpointId, false);
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
    const forAll = [];
    const forStaff = [];
    for (const [endpointId, everyone] of this.dirty) {
      const p = this.options.participant(endpointId);
      if (!p) continue;
      const view = p.view(chair);
      forStaff.push(view);
      // Sites do not see each other's connection figures.
      const { quality: _quality, ...shared } = view;
      if (everyone) forAll.push(shared);
    }
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    const extra = removed.length ? { removed } : {};
    if (forStaff.length || removed.length)
      this.broadcast('participantsUpdated', { participants: forStaff, ...extra }, STAFF);
    if (forAll.length || removed.length)
      this.broadcast('participantsUpdated', { participants: forAll, ...extra }, ['site']);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
