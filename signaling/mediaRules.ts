import type { EndpointRole, MediaSource } from '../protocol/socket.js';

export interface RuleEndpoint {
  role: EndpointRole;
  siteId?: string;
}

export interface RuleState {
  status: 'waiting' | 'live' | 'ended';
  floorSiteId?: string;
  /** Sites running the connection check: their own camera and microphone come back to them. */
  loopbackSiteIds?: ReadonlySet<string>;
  /** The site in a two-way call with IT staff. */
  itCallSiteId?: string;
}

export interface Wanted {
  /** Simulcast layer to start at: 0 for grid thumbnails, 2 for full-screen viewing. */
  spatialLayer: number;
}

const LOW = { spatialLayer: 0 };
const HIGH = { spatialLayer: 2 };

/**
 * Who receives what, as one pure function (the SFU reconciles consumers against it):
 * - the main point (station) goes to every site once the session is live, and its video to
 *   the chair's and IT's views;
 * - a site's camera goes to the chair and IT grids at a low layer; its microphone to the main
 *   point; once it has the floor, its camera and microphone go to every site and the station;
 * - nothing is sent to the endpoint it came from.
 */
export function wants(
  receiver: RuleEndpoint,
  sender: RuleEndpoint,
  source: MediaSource,
  state: RuleState,
): Wanted | undefined {
  if (state.status === 'ended') return undefined;
  const sameEndpoint = receiver.role === sender.role && receiver.siteId === sender.siteId;
  if (sameEndpoint) {
    // Check mode: the downlink is measured on the site's own stream, looped through the SFU.
    const loop =
      receiver.role === 'site' &&
      receiver.siteId !== undefined &&
      state.loopbackSiteIds?.has(receiver.siteId) === true &&
      source !== 'screen';
    return loop ? HIGH : undefined;
  }

  // IT's two-way call: IT and that one site see and hear each other, nobody else hears IT.
  const inCall = (e: RuleEndpoint) =>
    e.role === 'site' && e.siteId !== undefined && e.siteId === state.itCallSiteId;
  if (sender.role === 'it') return inCall(receiver) && source !== 'screen' ? HIGH : undefined;
  if (receiver.role === 'it' && inCall(sender) && source !== 'screen') return HIGH;

  if (sender.role === 'station') {
    if (receiver.role === 'site') return state.status === 'live' ? HIGH : undefined;
    // Chair and IT sit with or near the hall: video to follow it, no audio (echo).
    if (receiver.role === 'chair' || receiver.role === 'it')
      return source === 'microphone' ? undefined : LOW;
    return undefined;
  }

  if (sender.role === 'site') {
    const hasFloor = state.floorSiteId !== undefined && state.floorSiteId === sender.siteId;
    if (receiver.role === 'chair' || receiver.role === 'it') {
      // The grid shows every site; IT also needs to hear a site's technician before the session.
      if (source === 'camera') return hasFloor ? HIGH : LOW;
      return receiver.role === 'it' && state.status !== 'live' ? LOW : undefined;
    }
    if (receiver.role === 'station') {
      if (source === 'microphone') return LOW;
      return hasFloor ? HIGH : undefined;
    }
    if (receiver.role === 'site') return hasFloor && state.status === 'live' ? HIGH : undefined;
  }
  return undefined;
}
