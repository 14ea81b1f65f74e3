import type { Principal } from '../../protocol/auth.js';
import type { Meeting, MeetingView, Participation } from '../../protocol/meetings.js';
import type { Site, SitePublic } from '../../protocol/sites.js';

function publicSite(site: Site | undefined, id: string, withContact: boolean): SitePublic {
  if (!site) return { id, name: id, kind: 'other', attendingUnits: [] };
  return {
    id: site.id,
    name: site.name,
    kind: site.kind,
    ...(site.hostUnit ? { hostUnit: site.hostUnit } : {}),
    ...(site.address ? { address: site.address } : {}),
    attendingUnits: site.attendingUnits,
    ...(withContact && site.technician ? { technician: site.technician } : {}),
  };
}

/**
 * The meeting as a join-link holder sees it. A technician gets only their own site (with its
 * contact details); chair and station see every site, since they call sites that drop out.
 */
export function buildMeetingView(
  meeting: Meeting,
  sites: ReadonlyMap<string, Site>,
  principal: Principal,
): MeetingView {
  const siteBound = principal.kind === 'technician' || principal.kind === 'reporter';
  const seesAll = !siteBound;
  const ownSite = siteBound ? principal.siteId : undefined;
  const withSite = (p: Participation, contact: boolean) => ({
    ...p,
    site: publicSite(sites.get(p.siteId), p.siteId, contact),
  });
  return {
    id: meeting.id,
    version: meeting.version,
    state: meeting.state,
    title: meeting.title,
    ...(meeting.banner ? { banner: meeting.banner } : {}),
    organizer: meeting.organizer,
    ...(meeting.chair ? { chair: meeting.chair } : {}),
    opensAt: meeting.opensAt,
    closesAt: meeting.closesAt,
    checkAt: meeting.checkAt,
    checkDurationMinutes: meeting.checkDurationMinutes,
    agenda: meeting.agenda.map((a) => ({
      ...a,
      ...(a.siteId ? { siteName: sites.get(a.siteId)?.name ?? a.siteId } : {}),
    })),
    mainSite: withSite(meeting.mainSite, seesAll),
    sites: meeting.sites
      .filter((p) => seesAll || p.siteId === ownSite)
      .map((p) => withSite(p, true)),
    requirements: meeting.requirements,
    attachments: meeting.attachments,
  };
}
