import type { Principal } from '../../protocol/auth.js';
import { forbidden } from '../../protocol/errors.js';
import type { RouteContext } from './routeContext.js';

export const reportTags = ['reports'];

/** The site a link is bound to (technician, reporter); undefined for IT staff and the chair. */
export function ownSite(p: Principal): string | undefined {
  return p.kind === 'technician' || p.kind === 'reporter' ? p.siteId : undefined;
}

/**
 * Who sees every site's reports of a request: IT staff, the chair, and a consolidating site's
 * own links (seed 002: the district office collects its units' reports).
 */
export function consolidatorAccess(ctx: RouteContext) {
  const { reports } = ctx.services;
  return {
    guard: ctx.guard({
      roles: ['admin', 'chair', 'technician', 'reporter'],
      meetingParam: 'id',
    }),
    /** A site's link passes only for the requests that site consolidates. */
    assert: async (p: Principal, meetingId: string, requestId: string) => {
      const siteId = ownSite(p);
      if (!siteId) return;
      const r = await reports.get(meetingId, requestId);
      if (r.consolidator.kind !== 'site' || r.consolidator.siteId !== siteId)
        throw forbidden({
          vi: 'Chỉ đơn vị tổng hợp xem được báo cáo của các điểm cầu',
          en: 'Only the consolidating unit sees the sites’ reports',
        });
    },
  };
}
