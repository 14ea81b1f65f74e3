import { z } from 'zod';
import { errorBodySchema } from './errors.js';
import { idOf } from './fields.js';
import { meetingActionSchema } from './meetings.js';
import { zodMessage } from './text.js';

/** Path parameters and common responses of the HTTP API. Browser-safe. */
export const siteParamsSchema = z.object({ id: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }) });
export const meetingParamsSchema = z.object({ id: idOf({ vi: 'Mã hội nghị', en: 'Meeting id' }) });
export const meetingActionParamsSchema = meetingParamsSchema.extend({
  action: meetingActionSchema,
});
export const linkParamsSchema = meetingParamsSchema.extend({
  linkId: idOf({ vi: 'Mã liên kết', en: 'Link id' }),
});
export const attachmentParamsSchema = meetingParamsSchema.extend({
  attachmentId: idOf({ vi: 'Mã tài liệu', en: 'Attachment id' }),
});

/** Optimistic concurrency: If-Match carries the version the client read (ETag "3" or 3). */
export const ifMatchHeadersSchema = z.object({ 'if-match': z.string().optional() });

export const auditQuerySchema = z.object({
  limit: z.coerce
    .number({ error: zodMessage({ vi: 'limit phải là số', en: 'limit must be a number' }) })
    .int()
    .min(1)
    .max(1000)
    .default(100),
});

export const okSchema = z.object({ ok: z.literal(true) });

/** The error responses a route may give, for OpenAPI. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
} as const;
