import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkProgressSchema } from '../../protocol/check/queue.js';
import { notFound } from '../../protocol/errors.js';
import { idOf } from '../../protocol/fields.js';
import { errorResponses, meetingParamsSchema, okSchema } from '../../protocol/http.js';
import { inAppNotificationSchema } from '../../protocol/notifications.js';
import {
  checklistInputSchema,
  meetingReadinessSchema,
  readinessHistoryEntrySchema,
  siteReadinessSchema,
} from '../../protocol/readiness.js';
import { zodMessage } from '../../protocol/text.js';
import { makeGuard, principalOf } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import { sessionOrLink } from '../routes/routeContext.js';
import { failedJobSchema, stalledEventSchema } from './CheckScheduler.js';
import type { CheckServices } from './CheckServices.js';
import { renderReadinessReport } from './readinessReport.js';

export interface ReadinessRoutesOptions {
  services: DataServices;
  checks: CheckServices;
}

const tags = ['readiness'];
const session: Record<string, string[]>[] = [{ session: [] }];
const siteParams = meetingParamsSchema.extend({
  siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }),
});
const jobParams = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9-]{1,200}$/, {
    error: zodMessage({ vi: 'Mã công việc không hợp lệ', en: 'Invalid job id' }),
  }),
});

/**
 * Readiness of a meeting's sites (board, printable report, history), IT's "check now", the
 * technician's checklist over HTTP, in-app notifications, and the job queue's failures for IT.
 */
export const readinessRoutes: FastifyPluginAsyncZod<ReadinessRoutesOptions> = async (app, opts) => {
  const { services, checks } = opts;
  const { meetings, sites } = services;
  const guard = makeGuard(services.access);
  const adminOnly = guard({ roles: ['admin'] });
  const board = guard({ roles: ['admin', 'chair'], meetingParam: 'id' });

  app.get(
    '/api/meetings/:id/readiness',
    {
      onRequest: board,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Mức sẵn sàng các điểm cầu / Readiness counts, sites and problems',
        params: meetingParamsSchema,
        response: { 200: meetingReadinessSchema, ...errorResponses },
      },
    },
    async (request) => checks.readiness.summary(await meetings.get(request.params.id)),
  );

  app.get(
    '/api/meetings/:id/check-progress',
    {
      onRequest: board,
      schema: {
        tags,
        security: sessionOrLink,
        summary:
          'Tiến độ kiểm tra theo lượt / Check window progress (checked, checking, waiting, offline)',
        params: meetingParamsSchema,
        response: { 200: checkProgressSchema, ...errorResponses },
      },
    },
    async (request) => {
      await meetings.get(request.params.id);
      return checks.checkProgress(request.params.id);
    },
  );

  app.get(
    '/api/meetings/:id/readiness/report',
    {
      onRequest: board,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Báo cáo sẵn sàng (HTML để in) / Printable readiness report',
        params: meetingParamsSchema,
        response: {
          200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.get(request.params.id);
      const summary = await checks.readiness.summary(meeting);
      const siteMap = await sites.getMany(meeting.sites.map((s) => s.siteId));
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('x-content-type-options', 'nosniff')
        .send(renderReadinessReport(meeting, summary, siteMap));
    },
  );

  app.get(
    '/api/meetings/:id/readiness/history',
    {
      onRequest: board,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Lịch sử trạng thái sẵn sàng / Readiness history',
        params: meetingParamsSchema,
        response: {
          200: z.object({ entries: z.array(readinessHistoryEntrySchema) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await meetings.get(request.params.id);
      return { entries: await checks.readiness.history(request.params.id) };
    },
  );

  app.post(
    '/api/meetings/:id/checks',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: session,
        summary: 'Kiểm tra ngay một hoặc mọi điểm cầu / IT: check one site (siteId) or all now',
        params: meetingParamsSchema,
        body: z
          .strictObject({ siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }).optional() })
          .default({}),
        response: {
          200: z.object({ requested: z.array(z.string()), offline: z.array(z.string()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const meeting = await meetings.get(request.params.id);
      const { siteId } = request.body;
      if (siteId !== undefined && !meeting.sites.some((s) => s.siteId === siteId))
        throw notFound({
          vi: `Điểm cầu ${siteId} không thuộc hội nghị`,
          en: `site ${siteId} is not in this meeting`,
        });
      return checks.requestCheck(meeting.id, siteId);
    },
  );

  app.put(
    '/api/meetings/:id/sites/:siteId/checklist',
    {
      onRequest: guard({ roles: ['admin', 'technician'], meetingParam: 'id', siteParam: 'siteId' }),
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Xác nhận danh mục chuẩn bị / Confirm the site checklist',
        params: siteParams,
        body: checklistInputSchema,
        response: { 200: siteReadinessSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, siteId } = request.params;
      const meeting = await meetings.get(id);
      if (!meeting.sites.some((s) => s.siteId === siteId))
        throw notFound({
          vi: `Điểm cầu ${siteId} không thuộc hội nghị`,
          en: `site ${siteId} is not in this meeting`,
        });
      const p = principalOf(request);
      const by = p.kind === 'admin' ? `Tổ CNTT (${p.username})` : 'Cán bộ kỹ thuật';
      return checks.hooksFor(id).checklist(siteId, request.body, by);
    },
  );

  app.get(
    '/api/meetings/:id/notifications',
    {
      onRequest: guard({ roles: ['admin', 'technician'], meetingParam: 'id' }),
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Thông báo trong ứng dụng (nhắc lịch, vắng mặt) / In-app notifications',
        params: meetingParamsSchema,
        response: {
          200: z.object({ notifications: z.array(inAppNotificationSchema) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const siteId = p.kind === 'technician' ? p.siteId : undefined;
      return { notifications: await checks.inApp.list(request.params.id, siteId) };
    },
  );

  app.get(
    '/api/jobs/failed',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['jobs'],
        security: session,
        summary: 'Công việc lỗi và bị treo / Failed and stalled jobs',
        response: {
          200: z.object({
            failed: z.array(failedJobSchema),
            stalled: z.array(stalledEventSchema),
            counts: z.record(z.string(), z.number()),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      ...(await checks.scheduler.failedJobs()),
      counts: await checks.scheduler.counts(),
    }),
  );

  app.post(
    '/api/jobs/:jobId/retry',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['jobs'],
        security: session,
        summary: 'Chạy lại công việc lỗi / Retry a failed job',
        params: jobParams,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await checks.scheduler.retry(request.params.jobId);
      return { ok: true as const };
    },
  );
};
