import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { badRequest, errorBodySchema, notFound } from '../../protocol/errors.js';
import { errorResponses, ifMatchHeadersSchema, meetingParamsSchema } from '../../protocol/http.js';
import {
  reportAnswersInputSchema,
  siteReportListSchema,
  siteReportParamsSchema,
  siteReportSchema,
} from '../../protocol/reports.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { expectedVersion } from '../store/versions.js';
import { ownSite, reportTags } from './reportAccess.js';
import { type RouteContext, sessionOrLink } from './routeContext.js';
import { contentDisposition, receiveFile } from './uploads.js';

/** One site's report: its draft, submission and uploaded document (its own links, IT staff). */
export const siteReportRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { reports, attachments } = ctx.services;
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

  app.get(
    '/api/meetings/:id/my-reports',
    {
      onRequest: anyReader,
      schema: {
        tags: reportTags,
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
        tags: reportTags,
        security: sessionOrLink,
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
        tags: reportTags,
        security: sessionOrLink,
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
        tags: reportTags,
        security: sessionOrLink,
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
        tags: reportTags,
        security: sessionOrLink,
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
        attachments,
        attachments.report(id, requestId, siteId),
        ctx.limits.uploadMaxBytes,
      );
      // The bytes replace the stored file only once the record says the report was still open.
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
        file.staged,
      );
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/sites/:siteId/document',
    {
      onRequest: siteReader,
      schema: {
        tags: reportTags,
        security: sessionOrLink,
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
      const file = await attachments.open(attachments.report(id, requestId, siteId));
      if (!file) throw notFound({ vi: 'Tệp văn bản đã mất', en: 'The document file is missing' });
      return reply
        .header('content-type', doc.contentType)
        .header('content-length', file.size)
        .header('content-disposition', contentDisposition(doc.fileName))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(file.stream as unknown as string);
    },
  );
};
