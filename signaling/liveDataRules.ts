import { siteEndpointId } from '../protocol/endpoints.js';
import type { EndpointRole, Participant, SessionState } from '../protocol/socket.js';

/** Who is about to receive live data. */
export interface LiveDataReceiver {
  role: EndpointRole;
  siteId?: string;
  endpointId: string;
}

/**
 * What of the participant list one receiver may see, as one pure function (the session filters
 * each push through it, the way the SFU reconciles consumers against mediaRules.wants):
 * - the chair and IT staff run and watch the meeting: everything;
 * - the main point (station) sees every participant but only its own quality figures;
 * - a site's technician sees its own site in full, the main point, the chair and the site that
 *   has the floor (name, presence, media: what the page shows), never another site's quality,
 *   mute or hand state, and no other site at all (nor IT staff).
 */
export function participantsFor(
  receiver: LiveDataReceiver,
  participants: readonly Participant[],
): Participant[] {
  if (receiver.role === 'chair' || receiver.role === 'it') return [...participants];
  const own = (p: Participant) => p.endpointId === receiver.endpointId;
  if (receiver.role === 'station') {
    return participants.map((p) => (own(p) ? p : withoutQuality(p)));
  }
  const shown: Participant[] = [];
  for (const p of participants) {
    if (own(p)) shown.push(p);
    else if (p.role === 'station' || p.role === 'chair' || (p.role === 'site' && p.hasFloor))
      shown.push(publicFace(p));
  }
  return shown;
}

/**
 * The session state for one receiver: a site learns who has the floor and where its own hand
 * stands in the queue (handPosition, 1 = next), not which other sites asked to speak.
 */
export function sessionStateFor(receiver: LiveDataReceiver, state: SessionState): SessionState {
  if (receiver.role !== 'site') return state;
  const { handQueue, activeSpeakerEndpointId, handPosition: _unused, ...rest } = state;
  const index = receiver.siteId === undefined ? -1 : handQueue.indexOf(receiver.siteId);
  const speakerShown =
    activeSpeakerEndpointId !== undefined &&
    (activeSpeakerEndpointId === receiver.endpointId ||
      activeSpeakerEndpointId === 'station' ||
      activeSpeakerEndpointId === 'chair' ||
      (state.floorSiteId !== undefined &&
        activeSpeakerEndpointId === siteEndpointId(state.floorSiteId)));
  return {
    ...rest,
    handQueue: index >= 0 ? [receiver.siteId!] : [],
    ...(index >= 0 ? { handPosition: index + 1 } : {}),
    ...(speakerShown ? { activeSpeakerEndpointId } : {}),
  };
}

function withoutQuality(p: Participant): Participant {
  const { quality: _quality, ...rest } = p;
  return rest;
}

/**
 * Name, presence, floor and media of a participant; its hand, mutes, figures, call and encoder
 * are not told.
 */
function publicFace(p: Participant): Participant {
  const { call: _call, feed: _feed, ...rest } = withoutQuality(p);
  return {
    ...rest,
    handRaised: false,
    mutedByChair: false,
    selfMuted: false,
  };
}
