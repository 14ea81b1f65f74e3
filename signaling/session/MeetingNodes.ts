import type { types } from 'mediasoup';
import type {
  ChairSnapshot,
  RemoteProducer,
  Roster,
  RosterEntry,
} from '../../protocol/clusterBus.js';
import type { RequestName } from '../../protocol/socket.js';

export type { RemoteProducer, Roster, RosterEntry } from '../../protocol/clusterBus.js';

/*
 * A meeting cascaded over several nodes: the owner node runs the session and decides; each edge
 * node runs a session of the same meeting for the sites placed on it, follows the owner's chair
 * state and sends its sites' requests to the owner. Every node tells the others about its own
 * endpoints (the roster: who is there, online, and which producers it has), so each node sees
 * the whole meeting and its consumers follow the same rules (mediaRules.wants) everywhere; a
 * producer on another node is piped here when a receiver here wants it.
 */

/** The other nodes of a cascaded meeting, as one node's session reaches them. */
export interface MeetingNodes {
  /** The node that owns the session when this node is an edge of it; undefined on the owner. */
  readonly ownerNodeId?: string;
  /** This node's endpoints changed: tell the meeting's other nodes. */
  publishRoster(roster: Omit<Roster, 'meetingId'>): void;
  /** The owner's chair state changed: tell the edges. */
  publishChair(snapshot: ChairSnapshot): void;
  /** A request of a site on this edge that the owner decides (a raised hand). */
  forward(endpointId: string, name: RequestName, payload: unknown): Promise<unknown>;
  /**
   * The producer of an endpoint on `nodeId`, piped into this session's router; rejects when it
   * could not be had now (the caller asks again later).
   */
  fetch(nodeId: string, producerId: string): Promise<types.Producer>;
}

/** What the session keeps of an endpoint that runs on another node. */
export interface RemoteState {
  nodeId: string;
  view: RosterEntry['view'];
  producers: RemoteProducer[];
}
