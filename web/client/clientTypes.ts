import type {
  EndpointRole,
  MediaSource,
  Participant,
  SessionState,
} from '../../protocol/socket.js';
import type { Text } from '../../protocol/text.js';

/* What MeetingClient gives its pages: its errors, remote tracks, options, states and events. */

export { RequestError } from '../../client/request.js';

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
export interface ConnectErrorData {
  code: string;
  message: Text;
  details?: { ownerUrl?: unknown };
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ClientEvents {
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

/** How long connecting took, for the connection check (ms, from performance.now()). */
export interface ClientTimings {
  connectStartedAt: number;
  /** Socket connected → join answered, plus the socket connect itself. */
  signalingMs?: number;
  transports: Partial<Record<'send' | 'recv', { createdAt: number; iceDtlsMs?: number }>>;
}
