import { z } from 'zod';
import { idSchema } from './fields.js';
import { textSchema } from './text.js';

/** In-app notifications (reminders, escalations), stored per meeting. Browser-safe: pure zod. */
export const inAppNotificationSchema = z.object({
  /** The delivery key (e.g. noshow-<meeting>-<site>-<time>): longer than a record id. */
  id: z.string().min(1).max(300),
  meetingId: idSchema,
  /** Absent: for the IT board only. */
  siteId: idSchema.optional(),
  kind: z.enum(['reminder', 'window-open', 'no-show', 'check-failed', 'job-failed']),
  title: textSchema,
  body: textSchema,
  at: z.string(),
});
export type InAppNotification = z.infer<typeof inAppNotificationSchema>;
