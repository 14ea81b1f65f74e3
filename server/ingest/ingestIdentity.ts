import type { Principal } from '../../protocol/auth.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import { AppError } from '../../protocol/errors.js';
import type { ParticipantIdentity } from '../../signaling/session/Participant.js';
import type { DataServices } from '../DataServices.js';

/** Who an encoder publishes as, and the link that lets it (revoking the link ends it). */
export interface IngestHolder {
  meetingId: string;
  identity: ParticipantIdentity;
  linkId: string;
}

const refused = () =>
  new AppError('unauthorized', {
    vi: 'Mã này không được phát vào hội nghị này (cần liên kết điểm cầu chính hoặc điểm cầu)',
    en: 'This token may not publish into this meeting (a main-point or site link is needed)',
  });

/**
 * A join-link token → the endpoint an encoder publishes for: the main point (station link)
 * or a site (technician link), of the meeting named in the request. Any other token is a 401.
 */
export async function ingestHolder(
  data: DataServices,
  token: string,
  meetingId: string,
): Promise<IngestHolder> {
  const { principal } = await data.access.authenticateLink(token);
  if (principal.kind === 'admin' || principal.meetingId !== meetingId) throw refused();
  return { meetingId, identity: await identityOf(data, principal), linkId: linkIdOf(principal) };
}

function linkIdOf(p: Principal): string {
  if (p.kind === 'admin') throw refused();
  return p.tokenId;
}

async function identityOf(data: DataServices, p: Principal): Promise<ParticipantIdentity> {
  if (p.kind === 'station') {
    const meeting = await data.meetings.get(p.meetingId);
    const main = await data.sites.find(meeting.mainSite.siteId);
    return { endpointId: 'station', role: 'station', name: main?.name ?? 'Điểm cầu chính' };
  }
  if (p.kind === 'technician') {
    const site = await data.sites.get(p.siteId);
    return {
      endpointId: siteEndpointId(p.siteId),
      role: 'site',
      siteId: p.siteId,
      name: site.name,
    };
  }
  throw refused();
}
