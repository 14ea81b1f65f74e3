import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../protocol/auth.js';
import { badRequest, errorBodySchema, forbidden, notFound } from '../../protocol/errors.js';
import {
  errorResponses,
  ifMatchHeadersSchema,
  meetingParamsSchema,
  okSchema,
} from '../../protocol/http.js';
import {
  reportAnswersInputSchema,
  reportBoardSchema,
  reportRequestInputSchema,
  reportRequestListSchema,
  reportRequestParamsSchema,
  reportRequestSchema,
  reportRequestUpdateSchema,
  reportTemplateListSchema,
  siteReportListSchema,
  siteReportParamsSchema,
  siteReportSchema,
} from '../../protocol/reports.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { renderReportDocx } from '../reports/consolidatedDocx.js';
import { renderConsolidatedHtml } from '../reports/consolidatedHtml.js';
import { reportTemplates } from '../reports/templates.js';
import { expectedVersion } from '../store/versions.js';
import type { RouteContext } from './routeContext.js';
import { contentDisposition, receiveFile } from './uploads.js';

const tags = ['reports'];
const security: Record<string, string[]>[] = [{ session: [] }, { joinToken: [] }];
const htmlResponse = { description: 'HTML', content: { 'text/html': { schema: z.string() } } };

/** The site a link is bound to (technician, reporter); undefined for IT staff and the chair. */
function ownSite(p: Principal): string | undefined {
  return p.kind === 'technician' || p.kind === 'reporter' ? p.siteId : undefined;
}

/**
 * Report requests (IT staff), the sites' reports (their technician or reporter link, only their
 * own site), the status board (IT staff and the chair) and the consolidated document.
 */
export const reportRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { reports, uploadsDir } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });
  /** IT staff, the chair, and a consolidating site's own links (seed 002: the district office). */
  const consolidators = ctx.guard({
    roles: ['admin', 'chair', 'technician', 'reporter'],
    meetingParam: 'id',
  });
  const assertConsolidates = async (p: Principal, meetingId: string, requestId: string) => {
    const siteId = ownSite(p);
    if (!siteId) return;
    const r = await reports.get(meetingId, requestId);
    if (r.consolidator.kind !== 'site' || r.consolidator.siteId !== siteId)
      throw forbidden({
        vi: 'Chỉ đơn vị tổng hợp xem được báo cáo của các điểm cầu',
        en: 'Only the consolidating unit sees the sites’ reports',
      });
  };
  const anyReader = ctx.guard({
    roles: ['admin', 'chair', 'technician', 'reporter'],
    meetingParam: 'id',
  });
  const siteWriter = ctx.guard({
    roles: ['admin', 'technician', 'reporter'],
    meetingParam: 'id',
    siteParam: 'siteId',
  });
  const siteReader = ctx.guard({
    roles: ['admin', 'chair', 'technician', 'reporter'],
    meetingParam: 'id',
    siteParam: 'siteId',
  });
  const documentFile = (meetingId: string, requestId: string, siteId: string) =>
    join(uploadsDir, meetingId, 'reports', `${requestId}-${siteId}`);

  app.get(
    '/api/report-templates',
    {
      onRequest: adminOnly,
      schema: {
        tags,
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
        tags,
        security,
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
        tags,
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
        tags,
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
        tags,
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
        documentFile(id, requestId, s),
      );
      await reports.delete(
        id,
        requestId,
        expectedVersion(request.headers['if-match'], undefined),
        actorOf(principalOf(request)),
      );
      for (const f of files) await rm(f, { force: true });
      return { ok: true as const };
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/board',
    {
      onRequest: consolidators,
      schema: {
        tags,
        security,
        summary:
          'Bảng theo dõi báo cáo / Status board: not started, draft, submitted, late per site',
        params: reportRequestParamsSchema,
        response: { 200: reportBoardSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId } = request.params;
      await assertConsolidates(principalOf(request), id, requestId);
      return reports.board(id, requestId);
    },
  );

  app.get(
    '/api/meetings/:id/my-reports',
    {
      onRequest: anyReader,
      schema: {
        tags,
        security: [{ joinToken: [] }],
        summary: 'Báo cáo điểm cầu phải gửi / The reports this link’s site must send',
        params: meetingParamsSchema,
        response: { 200: siteReportListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const siteId = ownSite(principalOf(request));
      if (!siteId)
        throw badRequest({
          vi: 'Chỉ dành cho liên kết của điểm cầu',
          en: 'For a site’s technician or reporter link only',
        });
      return { reports: await reports.forSite(request.params.id, siteId) };
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId',
    {
      onRequest: siteReader,
      schema: {
        tags,
        security,
        summary: 'Báo cáo của một điểm cầu / One site’s report',
        params: siteReportParamsSchema,
        response: { 200: siteReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId, siteId } = request.params;
      return reports.siteReport(id, requestId, siteId);
    },
  );

  app.put(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId',
    {
      onRequest: siteWriter,
      schema: {
        tags,
        security,
        summary: 'Lưu nháp báo cáo / Save the site’s draft',
        params: siteReportParamsSchema,
        headers: ifMatchHeadersSchema,
        body: reportAnswersInputSchema,
        response: { 200: siteReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId, siteId } = request.params;
      return reports.saveDraft(
        id,
        requestId,
        siteId,
        {
          sections: request.body.sections,
          version: expectedVersion(request.headers['if-match'], request.body.version),
        },
        actorOf(principalOf(request)),
      );
    },
  );

  app.post(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId/submit',
    {
      onRequest: siteWriter,
      schema: {
        tags,
        security,
        summary: 'Nộp báo cáo / Submit (after the deadline it is received and marked late)',
        params: siteReportParamsSchema,
        headers: ifMatchHeadersSchema,
        body: reportAnswersInputSchema.optional(),
        response: { 200: siteReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId, siteId } = request.params;
      return reports.submit(
        id,
        requestId,
        siteId,
        {
          ...(request.body?.sections ? { sections: request.body.sections } : {}),
          version: expectedVersion(request.headers['if-match'], request.body?.version),
        },
        actorOf(principalOf(request)),
      );
    },
  );

  app.post(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId/document',
    {
      onRequest: siteWriter,
      schema: {
        tags,
        security,
        summary: `Tải lên văn bản báo cáo / Upload the report as a document (multipart "file"; at most ${Math.floor(ctx.limits.uploadMaxBytes / 1024 / 1024)} MiB)`,
        consumes: ['multipart/form-data'],
        params: siteReportParamsSchema,
        response: { 200: siteReportSchema, 413: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, requestId, siteId } = request.params;
      await reports.assertWritable(id, requestId, siteId);
      const file = await receiveFile(
        request,
        documentFile(id, requestId, siteId),
        ctx.limits.uploadMaxBytes,
      );
      return reports.attachDocument(
        id,
        requestId,
        siteId,
        {
          fileName: file.fileName,
          contentType: file.contentType,
          size: file.size,
          uploadedAt: new Date().toISOString(),
        },
        actorOf(principalOf(request)),
      );
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId/document',
    {
      onRequest: siteReader,
      schema: {
        tags,
        security,
        summary: 'Tải văn bản báo cáo của điểm cầu / Download a site’s uploaded report',
        params: siteReportParamsSchema,
        response: {
          200: {
            description: 'Tệp / The document',
            content: { 'application/octet-stream': { schema: z.string() } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id, requestId, siteId } = request.params;
      const doc = (await reports.siteReport(id, requestId, siteId)).submission?.document;
      if (!doc) throw notFound({ vi: 'Điểm cầu chưa tải lên văn bản', en: 'No document uploaded' });
      const path = documentFile(id, requestId, siteId);
      const size = await stat(path).then(
        (s) => s.size,
        () => {
          throw notFound({ vi: 'Tệp văn bản đã mất', en: 'The document file is missing' });
        },
      );
      return reply
        .header('content-type', doc.contentType)
        .header('content-length', size)
        .header('content-disposition', contentDisposition(doc.fileName))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(createReadStream(path) as unknown as string);
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/consolidated.html',
    {
      onRequest: consolidators,
      schema: {
        tags,
        security,
        summary: 'Báo cáo tổng hợp (HTML khổ A4) / Consolidated report, printable A4 HTML',
        params: reportRequestParamsSchema,
        response: { 200: htmlResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      await assertConsolidates(principalOf(request), request.params.id, request.params.requestId);
      const data = await reports.collect(request.params.id, request.params.requestId);
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('x-content-type-options', 'nosniff')
        .send(renderConsolidatedHtml(data));
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/consolidated.pdf',
    {
      onRequest: consolidators,
      schema: {
        tags,
        security,
        summary: 'Báo cáo tổng hợp (PDF, in bằng Chromium) / Consolidated report as PDF',
        params: reportRequestParamsSchema,
        response: {
          200: { description: 'PDF', content: { 'application/pdf': { schema: z.string() } } },
          503: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      await assertConsolidates(principalOf(request), request.params.id, request.params.requestId);
      const data = await reports.collect(request.params.id, request.params.requestId);
      const pdf = await ctx.pdf.print(renderConsolidatedHtml(data));
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', contentDisposition('bao-cao-tong-hop.pdf'))
        .send(pdf as unknown as string);
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/consolidated.docx',
    {
      onRequest: consolidators,
      schema: {
        tags,
        security,
        summary: 'Báo cáo tổng hợp (.docx) / Consolidated report as a Word document',
        params: reportRequestParamsSchema,
        response: {
          200: {
            description: 'DOCX',
            content: {
              'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
                schema: z.string(),
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      await assertConsolidates(principalOf(request), request.params.id, request.params.requestId);
      const data = await reports.collect(request.params.id, request.params.requestId);
      const buffer = await renderReportDocx(data);
      return reply
        .header(
          'content-type',
          'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        )
        .header('content-disposition', contentDisposition('bao-cao-tong-hop.docx'))
        .send(buffer as unknown as string);
    },
  );
};
