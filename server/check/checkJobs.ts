import { z } from 'zod';
import type { Meeting } from '../../protocol/meetings.js';

/** When things happen relative to the meeting's check and opening times. */
export interface CheckTiming {
  /** Reminders to each technician this long before the check. Default 24 h and 1 h. */
  reminderLeadsMs: readonly number[];
  /** The short re-check of every site this long before the opening. Default 30 min. */
  recheckLeadMs: number;
  /** Length of the check window; default the meeting's checkDurationMinutes. */
  windowMs?: (meeting: Meeting) => number;
  /** How long the re-check sends for (ms). Default 4 s. */
  recheckMeasureMs: number;
}

export const defaultCheckTiming: CheckTiming = {
  reminderLeadsMs: [24 * 3600_000, 3600_000],
  recheckLeadMs: 30 * 60_000,
  recheckMeasureMs: 4000,
};

export const windowMsOf = (meeting: Meeting, timing: CheckTiming): number =>
  timing.windowMs?.(meeting) ?? meeting.checkDurationMinutes * 60_000;

const uuidish = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);
const at = z.int().nonnegative();

/** Job payloads, checked when added and again when processed (a stored job may be old). */
export const checkJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('reminder'),
    meetingId: uuidish,
    siteId: uuidish,
    at,
    leadMs: z.int().positive(),
    checkAt: z.string(),
  }),
  z.strictObject({
    kind: z.literal('window-open'),
    meetingId: uuidish,
    at,
    checkAt: z.string(),
    closesAt: at,
  }),
  z.strictObject({ kind: z.literal('window-close'), meetingId: uuidish, at, checkAt: z.string() }),
  z.strictObject({ kind: z.literal('recheck'), meetingId: uuidish, at, opensAt: z.string() }),
]);
export type CheckJob = z.infer<typeof checkJobSchema>;
export type CheckJobKind = CheckJob['kind'];

export interface PlannedJob {
  /** Deterministic: kind, meeting, site, time. No ':' and never all digits (BullMQ rules). */
  id: string;
  data: CheckJob;
}

export function jobIdOf(job: CheckJob): string {
  switch (job.kind) {
    case 'reminder':
      return `reminder-${job.meetingId}-${job.siteId}-${job.at}-lead${job.leadMs}`;
    default:
      return `${job.kind}-${job.meetingId}-${job.at}`;
  }
}

/**
 * The jobs a scheduled meeting needs from `now` on. Times already past are left out, except:
 * a window that is still open opens at once, and when every reminder time has passed before the
 * check, one reminder goes at once (a meeting scheduled late still warns its technicians).
 */
export function planJobs(meeting: Meeting, timing: CheckTiming, now: number): PlannedJob[] {
  const checkAt = Date.parse(meeting.checkAt);
  const closesAt = checkAt + windowMsOf(meeting, timing);
  const opensAt = Date.parse(meeting.opensAt);
  const jobs: CheckJob[] = [];

  if (checkAt > now) {
    const leads = [...timing.reminderLeadsMs].sort((a, b) => b - a);
    const future = leads.filter((lead) => checkAt - lead >= now);
    const chosen = future.length > 0 ? future : leads.slice(-1);
    for (const s of meeting.sites) {
      for (const leadMs of chosen) {
        jobs.push({
          kind: 'reminder',
          meetingId: meeting.id,
          siteId: s.siteId,
          at: checkAt - leadMs,
          leadMs,
          checkAt: meeting.checkAt,
        });
      }
    }
  }
  if (closesAt > now) {
    jobs.push({
      kind: 'window-open',
      meetingId: meeting.id,
      at: checkAt,
      checkAt: meeting.checkAt,
      closesAt,
    });
    jobs.push({
      kind: 'window-close',
      meetingId: meeting.id,
      at: closesAt,
      checkAt: meeting.checkAt,
    });
  }
  const recheckAt = Math.max(opensAt - timing.recheckLeadMs, closesAt);
  if (opensAt > now && recheckAt < opensAt) {
    jobs.push({ kind: 'recheck', meetingId: meeting.id, at: recheckAt, opensAt: meeting.opensAt });
  }
  return jobs.map((data) => ({ id: jobIdOf(checkJobSchema.parse(data)), data }));
}
