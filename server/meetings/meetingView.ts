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
 * Which sites a link role sees in its meeting view, and whose technician contact (name, phone,
 * e-mail) comes with them. Least data: contacts only for those who call sites (chair, station)
 * and for a site's own people; a watch-only viewer sees site names, never contacts. The README's
 * "Who sees what" table states the same rule.
 */
export const meetingViewRules: Readonly<
  Record<
    Exclude<Principal['kind'], 'admin'>,
    { sites: 'all' | 'own'; contacts: 'all' | 'own' | 'none' }
  >
> = {
  chair: { sites: 'all', contacts: 'all' },
  station: { sites: 'all', contacts: 'all' },
  technician: { sites: 'own', contacts: 'own' },
  reporter: { sites: 'own', contacts: 'own' },
  viewer: { sites: 'all', contacts: 'none' },
};

/** The meeting as a join-link holder sees it (meetingViewRules). */
export function buildMeetingView(
  meeting: Meeting,
  sites: ReadonlyMap<string, Site>,
  principal: Principal,
): MeetingView {
  // IT staff use the full meeting routes; here an admin gets the least, like a viewer.
  const rule =
    principal.kind === 'admin' ? meetingViewRules.viewer : meetingViewRules[principal.kind];
  const ownSite =
    principal.kind === 'technician' || principal.kind === 'reporter' ? principal.siteId : undefined;
  const seesSite = (siteId: string) => rule.sites === 'all' || siteId === ownSite;
  const contactOf = (siteId: string) =>
    rule.contacts === 'all' || (rule.contacts === 'own' && siteId === ownSite);
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
    mainSite: withSite(meeting.mainSite, contactOf(meeting.mainSite.siteId)),
    sites: meeting.sites
      .filter((p) => seesSite(p.siteId))
      .map((p) => withSite(p, contactOf(p.siteId))),
    requirements: meeting.requirements,
    attachments: meeting.attachments,
  };
}
