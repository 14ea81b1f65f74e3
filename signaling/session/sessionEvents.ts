import type { EndpointRole, SessionState } from '../../protocol/socket.js';

/** An endpoint's socket arrived in or left its meeting's session. */
export interface EndpointPresence {
  endpointId: string;
  role: EndpointRole;
  siteId?: string;
  name: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * What a live session tells the rest of the service (recording, attendance, metrics). Listeners
 * observe; they never change the session through these events.
 */
export interface SessionEvents {
  endpointJoined: [EndpointPresence];
  endpointLeft: [EndpointPresence & { reason: string }];
  /** Status, agenda position, floor or hand queue changed; carries the whole new state. */
  stateChanged: [SessionState];
  /** Media and sockets are gone; emitted once. */
  closed: [reason: string];
}
