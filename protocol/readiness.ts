import { z } from 'zod';
import { checkResultSchema, type Verdict } from './check/index.js';
import { idSchema, optionalText } from './fields.js';
import { textSchema } from './text.js';

/*
 * Site readiness: each site's state before the meeting, the checklist its technician confirms,
 * the history of its states and the board IT staff watch (with every problem to fix).
 * Browser-safe: pure zod.
 */

/** Meetings and sites follow the one id rule. */
const id = idSchema;

// ---------------------------------------------------------------------------------------------
// Readiness

export const readinessStates = [
  'unknown',
  'invited',
  'online',
  'checking',
  'ready',
  'degraded',
  'failed',
  'no-show',
] as const;
export const readinessStateSchema = z.enum(readinessStates);
export type ReadinessState = z.infer<typeof readinessStateSchema>;

export const readinessLabels: Readonly<Record<ReadinessState, { vi: string; en: string }>> = {
  unknown: { vi: 'Chưa rõ', en: 'Unknown' },
  invited: { vi: 'Đã mời', en: 'Invited' },
  online: { vi: 'Đã kết nối', en: 'Online' },
  checking: { vi: 'Đang kiểm tra', en: 'Checking' },
  ready: { vi: 'Sẵn sàng', en: 'Ready' },
  degraded: { vi: 'Chất lượng hạn chế', en: 'Degraded' },
  failed: { vi: 'Chưa đạt', en: 'Failed' },
  'no-show': { vi: 'Vắng mặt khi kiểm tra', en: 'No-show' },
};

export const verdictReadiness: Readonly<Record<Verdict, ReadinessState>> = {
  pass: 'ready',
  degraded: 'degraded',
  fail: 'failed',
};

// ---------------------------------------------------------------------------------------------
// Checklist

export const checklistItems = [
  'cameraFraming',
  'microphone',
  'display',
  'backupPower',
  'banner',
  'seats',
] as const;
export type ChecklistItem = (typeof checklistItems)[number];

export const checklistLabels: Readonly<Record<ChecklistItem, { vi: string; en: string }>> = {
  cameraFraming: { vi: 'Camera bao quát hội trường', en: 'Camera framing' },
  microphone: { vi: 'Micro cho người phát biểu', en: 'Microphone for speakers' },
  display: { vi: 'Màn hình / máy chiếu', en: 'Display / projector' },
  backupPower: { vi: 'Nguồn điện dự phòng', en: 'Backup power' },
  banner: { vi: 'Tít trên phông', en: 'Title banner' },
  seats: { vi: 'Đủ chỗ ngồi cho đại biểu', en: 'Seats for the expected attendees' },
};

export const checklistInputSchema = z.strictObject({
  items: z.strictObject(
    Object.fromEntries(checklistItems.map((k) => [k, z.boolean()])) as Record<
      ChecklistItem,
      z.ZodBoolean
    >,
  ),
  /** Seats actually prepared, compared with the expected head count. */
  seats: z.int().min(0).max(100_000).optional(),
  note: optionalText({ vi: 'Ghi chú', en: 'Note' }, 500, { multiline: true }),
});
export type ChecklistInput = z.infer<typeof checklistInputSchema>;

export const checklistSchema = checklistInputSchema.extend({
  confirmedAt: z.string(),
  confirmedBy: z.string(),
});
export type Checklist = z.infer<typeof checklistSchema>;

// ---------------------------------------------------------------------------------------------
// The board

export const siteReadinessSchema = z.object({
  meetingId: id,
  siteId: id,
  state: readinessStateSchema,
  since: z.string(),
  online: z.boolean(),
  lastCheck: checkResultSchema.optional(),
  checklist: checklistSchema.optional(),
  /** Why the state is what it is (no-show, a failed check), for the board. */
  note: textSchema.optional(),
  updatedAt: z.string(),
});
export type SiteReadiness = z.infer<typeof siteReadinessSchema>;

export const readinessHistoryEntrySchema = z.object({
  siteId: id,
  from: readinessStateSchema,
  to: readinessStateSchema,
  at: z.string(),
  note: textSchema.optional(),
});
export type ReadinessHistoryEntry = z.infer<typeof readinessHistoryEntrySchema>;

/** One thing to fix before the opening; a site has as many as it has problems. */
export const readinessProblemSchema = z.object({
  siteId: id,
  siteName: z.string(),
  state: readinessStateSchema,
  /** check: a reason of the last check; checklist: an item not confirmed; state: no-show and the like. */
  kind: z.enum(['check', 'checklist', 'state']),
  message: textSchema,
});
export type ReadinessProblem = z.infer<typeof readinessProblemSchema>;

export const meetingReadinessSchema = z.object({
  meetingId: id,
  counts: z.record(readinessStateSchema, z.int()),
  sites: z.array(siteReadinessSchema.extend({ siteName: z.string() })),
  problems: z.array(readinessProblemSchema),
  window: z.object({ kind: z.string(), opensAt: z.string(), closesAt: z.string() }).optional(),
});
export type MeetingReadiness = z.infer<typeof meetingReadinessSchema>;
