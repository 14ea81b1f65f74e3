import { z } from 'zod';
import type { ReportRequest } from '../../protocol/reports.js';

export const DAY_MS = 86_400_000;

const id = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

/** A reminder job's payload, checked when added and again when processed. */
export const reportReminderJobSchema = z.strictObject({
  kind: z.literal('report-reminder'),
  meetingId: id,
  requestId: id,
  siteId: id,
  at: z.int().nonnegative(),
  /** Days before the deadline (N, or 1). */
  leadDays: z.int().positive(),
  /** The deadline it was planned for: a moved deadline makes the job stale. */
  deadlineAt: z.string(),
});
export type ReportReminderJob = z.infer<typeof reportReminderJobSchema>;

export interface PlannedReminder {
  /** Deterministic (no ':', never all digits): the same plan adds nothing twice. */
  id: string;
  data: ReportReminderJob;
}

/**
 * Reminders N days and 1 day before the deadline for every site asked. Times already past are
 * left out, except that when every reminder time has passed before the deadline, the last one
 * goes at once (a request made late still warns its sites). `dayMs` shortens days in tests.
 */
export function planReminders(
  request: ReportRequest,
  now: number,
  dayMs = DAY_MS,
): PlannedReminder[] {
  const deadline = Date.parse(request.deadlineAt);
  if (!(deadline > now)) return [];
  const leads = [...new Set([request.reminderDays, 1])].sort((a, b) => b - a);
  const future = leads.filter((d) => deadline - d * dayMs >= now);
  const chosen = future.length > 0 ? future : leads.slice(-1);
  return request.siteIds.flatMap((siteId) =>
    chosen.map((leadDays) => {
      const data: ReportReminderJob = {
        kind: 'report-reminder',
        meetingId: request.meetingId,
        requestId: request.id,
        siteId,
        at: Math.max(now, deadline - leadDays * dayMs),
        leadDays,
        deadlineAt: request.deadlineAt,
      };
      return {
        id: `report-reminder-${request.id}-${siteId}-${deadline}-d${leadDays}`,
        data,
      };
    }),
  );
}
