import { z } from 'zod';
import { actorSchema } from './auth.js';
import { idSchema, integer, list, optionalText, text } from './fields.js';
import { zodMessage } from './text.js';

/**
 * Attendance ("đúng thành phần, đủ số lượng": the right people, all of them), the presence log
 * of the live session, and the record of the meeting (biên bản). Browser-safe.
 */

export const roleCountSchema = z.strictObject({
  role: text({ vi: 'Thành phần', en: 'Attendee role' }, 300),
  present: integer({ vi: 'Số người có mặt', en: 'Present' }, 0, 10_000),
});

/** Body of PUT …/attendance/sites/:siteId: what the site confirms when the session starts. */
export const attendanceInputSchema = z.strictObject({
  roles: list(roleCountSchema, { vi: 'Thành phần có mặt', en: 'Roles present' }, 50).default([]),
  headCount: integer({ vi: 'Tổng số người có mặt', en: 'Head count' }, 0, 100_000),
  note: optionalText({ vi: 'Ghi chú', en: 'Note' }, 500, { multiline: true }),
});
export type AttendanceInput = z.input<typeof attendanceInputSchema>;

export const attendanceConfirmationSchema = z.object({
  siteId: idSchema,
  roles: z.array(z.object({ role: z.string(), present: z.int() })),
  headCount: z.int(),
  note: z.string().optional(),
  confirmedAt: z.string(),
  confirmedBy: actorSchema,
});
export type AttendanceConfirmation = z.infer<typeof attendanceConfirmationSchema>;

/** One connection of an endpoint: joined, and left (absent while still connected). */
export const presenceIntervalSchema = z.object({
  joinedAt: z.string(),
  leftAt: z.string().optional(),
  reason: z.string().optional(),
});

/** A row of the attendance report and of the chair's totals. */
export const attendanceRowSchema = z.object({
  siteId: idSchema,
  siteName: z.string(),
  expected: z.int().optional(),
  /** The composition (roles and counts expected), pre-filling the site's form. */
  composition: z.array(z.object({ role: z.string(), count: z.int().optional() })),
  confirmation: attendanceConfirmationSchema.optional(),
  intervals: z.array(presenceIntervalSchema),
  minutesConnected: z.number(),
  /** Connections lost during the session (a leave followed by a return, or a final leave before the end). */
  dropouts: z.int(),
  online: z.boolean(),
});
export type AttendanceRow = z.infer<typeof attendanceRowSchema>;

export const attendanceSummarySchema = z.object({
  meetingId: idSchema,
  rows: z.array(attendanceRowSchema),
  totals: z.object({
    sites: z.int(),
    confirmed: z.int(),
    expected: z.int(),
    present: z.int(),
    online: z.int(),
  }),
});
export type AttendanceSummary = z.infer<typeof attendanceSummarySchema>;

/** Who had the floor and when (from the session's own events). */
export const floorEntrySchema = z.object({
  siteId: idSchema,
  siteName: z.string(),
  from: z.string(),
  to: z.string().optional(),
});
export type FloorEntry = z.infer<typeof floorEntrySchema>;

/** Body of PUT …/minutes/:agendaIndex: the secretary's conclusion for one agenda item. */
export const minuteInputSchema = z.strictObject({
  conclusion: optionalText({ vi: 'Kết luận', en: 'Conclusion' }, 20_000, { multiline: true }),
});
export const minuteSchema = z.object({
  agendaIndex: z.int(),
  conclusion: z.string(),
  updatedAt: z.string(),
  updatedBy: actorSchema,
});
export type Minute = z.infer<typeof minuteSchema>;

export const meetingRecordSchema = z.object({
  minutes: z.array(minuteSchema),
  floor: z.array(floorEntrySchema),
});
export type MeetingRecord = z.infer<typeof meetingRecordSchema>;

export const agendaIndexParamsSchema = z.object({
  id: idSchema,
  agendaIndex: z.coerce
    .number({
      error: zodMessage({ vi: 'agendaIndex phải là số', en: 'agendaIndex must be a number' }),
    })
    .int()
    .min(-1)
    .max(100),
});
