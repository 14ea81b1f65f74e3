import type { Server } from 'socket.io';
import type { EndpointRole, NotificationName, NotificationPayload } from '../protocol/socket.js';
import type { ChairState } from './ChairState.js';
import type { Participant } from './Participant.js';

export interface SessionBroadcasterOptions {
  io: Server;
  meetingId: string;
  participants(): Iterable<Participant>;
  chair: ChairState;
}

const ALL_ROLES: EndpointRole[] = ['station', 'site', 'chair', 'it'];
/** Participant updates within this window go out as one message (a join storm sends a few). */
const COALESCE_MS = 50;

/**
 * Notifications from a session to its endpoints, through socket.io rooms: one for the meeting,
 * one per role. Participant lists are coalesced: many changes in a moment make one message
 * per role that asked for it.
 */
export class SessionBroadcaster {
  private pendingRoles = new Set<EndpointRole>();
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

  /** Schedules a participant list for the given roles (default: everyone). */
  participantsChanged(roles: EndpointRole[] = ALL_ROLES): void {
    if (this.stopped) return;
    for (const r of roles) this.pendingRoles.add(r);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const roles = [...this.pendingRoles];
    this.pendingRoles.clear();
    if (this.stopped || roles.length === 0) return;
    const participants = [...this.options.participants()].map((p) => p.view(this.options.chair));
    this.broadcast('participantsChanged', { participants }, roles);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
