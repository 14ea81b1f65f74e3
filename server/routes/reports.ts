import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  errorResponses,
  ifMatchHeadersSchema,
  meetingParamsSchema,
  okSchema,
} from '../../protocol/http.js';
import {
  reportBoardSchema,
  reportRequestInputSchema,
  reportRequestListSchema,
  reportRequestParamsSchema,
  reportRequestSchema,
  reportRequestUpdateSchema,
  reportTemplateListSchema,
} from '../../protocol/reports.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { reportTemplates } from '../reports/templates.js';
import { expectedVersion } from '../store/versions.js';
import { consolidatorAccess, reportTags } from './reportAccess.js';
import { type RouteContext, sessionOrLink } from './routeContext.js';

/** Report requests (IT staff) and their status board (IT staff, the chair, the consolidator). */
export const reportRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { reports, attachments } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });
  const consolidators = consolidatorAccess(ctx);

  app.get(
    '/api/report-templates',
    {
      onRequest: adminOnly,
      schema: {
        tags: reportTags,
        security: [{ session: [] }],
        summary: 'Mẫu đề cương báo cáo / Built-in report outlines to copy',
        response: { 200: reportTemplateListSchema, ...errorResponses },
      },
    },
    async () => ({ templates: [...reportTemplates] }),
  );

  app.get(
    '/api/meetings/:id/report-requests',
    {
      onRequest: ctx.guard({ roles: ['admin', 'chair'], meetingParam: 'id' }),
      schema: {
        tags: reportTags,
        security: sessionOrLink,
        summary: 'Các yêu cầu báo cáo của hội nghị / Report requests of a meeting',
        params: meetingParamsSchema,
        response: { 200: reportRequestListSchema, ...errorResponses },
      },
    },
    async (request) => ({ requests: await reports.list(request.params.id) }),
  );

  app.post(
    '/api/meetings/:id/report-requests',
    {
      onRequest: adminOnly,
      schema: {
        tags: reportTags,
        security: [{ session: [] }],
        summary: 'Tạo yêu cầu báo cáo / Ask sites for a report',
        params: meetingParamsSchema,
        body: reportRequestInputSchema,
        response: { 201: reportRequestSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await reports.create(
        request.params.id,
        request.body,
        actorOf(principalOf(request)),
      );
      return reply.status(201).header('etag', `"${created.version}"`).send(created);
    },
  );

  app.put(
    '/api/meetings/:id/report-requests/:requestId',
    {
      onRequest: adminOnly,
      schema: {
        tags: reportTags,
        security: [{ session: [] }],
        summary: 'Sửa yêu cầu báo cáo / Edit a report request (If-Match or body.version)',
        params: reportRequestParamsSchema,
        headers: ifMatchHeadersSchema,
        body: reportRequestUpdateSchema,
        response: { 200: reportRequestSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { version, ...input } = request.body;
      const updated = await reports.update(
        request.params.id,
        request.params.requestId,
        input,
        expectedVersion(request.headers['if-match'], version),
        actorOf(principalOf(request)),
      );
      return reply.header('etag', `"${updated.version}"`).send(updated);
    },
  );

  app.delete(
    '/api/meetings/:id/report-requests/:requestId',
    {
      onRequest: adminOnly,
      schema: {
        tags: reportTags,
        security: [{ session: [] }],
        summary: 'Xóa yêu cầu báo cáo / Delete a report request and its reports',
        params: reportRequestParamsSchema,
        headers: ifMatchHeadersSchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId } = request.params;
      const files = (await reports.get(id, requestId)).siteIds.map((s) =>
        attachments.report(id, requestId, s),
      );
      await reports.delete(
        id,
        requestId,
        expectedVersion(request.headers['if-match'], undefined),
        actorOf(principalOf(request)),
      );
      for (const f of files) await attachments.remove(f);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/board',
    {
      onRequest: consolidators.guard,
      schema: {
        tags: reportTags,
        security: sessionOrLink,
        summary:
          'Bảng theo dõi báo cáo / Status board: not started, draft, submitted, late per site',
        params: reportRequestParamsSchema,
        response: { 200: reportBoardSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId } = request.params;
      await consolidators.assert(principalOf(request), id, requestId);
      return reports.board(id, requestId);
    },
  );
};
