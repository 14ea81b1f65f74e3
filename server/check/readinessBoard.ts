import { reasonText } from '../../protocol/check/index.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  checklistItems,
  checklistLabels,
  type MeetingReadiness,
  type ReadinessProblem,
  type ReadinessState,
  readinessLabels,
  readinessStates,
  type SiteReadiness,
} from '../../protocol/readiness.js';
import { concatText, type Text } from '../../protocol/text.js';
import type { CheckWindow } from './checkWindows.js';

const NOT_CONFIRMED: Text = { vi: 'Chưa xác nhận: ', en: 'Not confirmed: ' };

/**
 * The IT board's view of a meeting's readiness: every participating site (unknown when it has no
 * record yet), the count per state and every problem on its own line.
 */
export function readinessSummary(
  meeting: Meeting,
  records: Map<string, SiteReadiness>,
  siteNames: Map<string, string>,
  window: CheckWindow | undefined,
  now: string,
): MeetingReadiness {
  const counts = Object.fromEntries(readinessStates.map((s) => [s, 0])) as Record<
    ReadinessState,
    number
  >;
  const list = meeting.sites.map((p) => {
    const r = records.get(p.siteId) ?? {
      meetingId: meeting.id,
      siteId: p.siteId,
      state: 'unknown' as const,
      since: now,
      online: false,
      updatedAt: now,
    };
    counts[r.state]++;
    return { ...r, siteName: siteNames.get(p.siteId) ?? p.siteId };
  });
  // Every problem of every site, each on its own line: the reasons of the last check, each
  // checklist item not confirmed, or why the site is where it is.
  const problems: ReadinessProblem[] = [];
  for (const s of list) {
    const push = (kind: ReadinessProblem['kind'], message: Text) =>
      problems.push({ siteId: s.siteId, siteName: s.siteName, state: s.state, kind, message });
    if (s.state === 'no-show' || s.state === 'failed' || s.state === 'degraded') {
      const reasons = s.lastCheck?.reasons.filter((r) => r.severity !== 'info') ?? [];
      if (s.state !== 'no-show' && reasons.length > 0)
        for (const r of reasons) push('check', reasonText(r));
      else if (s.state !== 'degraded' || !s.checklist)
        push('state', s.note ?? readinessLabels[s.state]);
    }
    if (s.checklist) {
      for (const k of checklistItems) {
        if (!s.checklist.items[k]) push('checklist', concatText(NOT_CONFIRMED, checklistLabels[k]));
      }
    } else if (s.lastCheck) {
      push('checklist', {
        vi: 'Chưa xác nhận danh mục chuẩn bị',
        en: 'Checklist not confirmed',
      });
    }
  }
  return { meetingId: meeting.id, counts, sites: list, problems, ...(window ? { window } : {}) };
}
