import type { MeetingNodes } from './MeetingNodes.js';

/*
 * What this node's session of a meeting is: the only node of it (solo), the owner of a meeting
 * cascaded over several nodes, or an edge serving the sites placed here for the owner. The one
 * place that tells them apart: the session and its mirror ask the role, not the peers.
 *
 *             decides the chair's state    speaks to the meeting's rooms   saves and reports
 *   solo      yes                          yes                             yes
 *   owner     yes, and tells the edges     yes                             yes
 *   edge      no: takes the owner's whole  no: only to its own pages       no: the owner does
 */
export type SessionRoleKind = 'solo' | 'owner' | 'edge';

export class SessionRole {
  private constructor(
    readonly kind: SessionRoleKind,
    /** The meeting's other nodes; absent on a single node. */
    readonly peers: MeetingNodes | undefined,
  ) {}

  /** The role a session opened with these peers has (none: a single node). */
  static of(peers: MeetingNodes | undefined): SessionRole {
    if (!peers) return new SessionRole('solo', undefined);
    return new SessionRole(peers.ownerNodeId === undefined ? 'owner' : 'edge', peers);
  }

  /** The owner's node when this is an edge; undefined when this node decides. */
  get ownerNodeId(): string | undefined {
    return this.kind === 'edge' ? this.peers?.ownerNodeId : undefined;
  }

  /** Decides the chair's state, saves it, reports it and ends a call (solo or owner). */
  get decides(): boolean {
    return this.kind !== 'edge';
  }

  /** Tells the edges each new chair state (the owner of a cascaded meeting). */
  get publishesChair(): boolean {
    return this.kind === 'owner';
  }

  /** Serves the meeting for the same owner as a placement asks (undefined: this node decides). */
  servesFor(ownerNodeId: string | undefined): boolean {
    return this.ownerNodeId === ownerNodeId;
  }
}
