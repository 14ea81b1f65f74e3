import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema } from '../../protocol/errors.js';
import { errorResponses } from '../../protocol/http.js';
import { reportRequestParamsSchema } from '../../protocol/reports.js';
import { principalOf } from '../auth/guard.js';
import { abandonedSignal } from '../documents/printPdf.js';
import { renderReportDocx } from '../reports/consolidatedDocx.js';
import { renderConsolidatedHtml } from '../reports/consolidatedHtml.js';
import { consolidatorAccess, reportTags } from './reportAccess.js';
import { type RouteContext, sessionOrLink } from './routeContext.js';
import { contentDisposition } from './uploads.js';

const htmlResponse = { description: 'HTML', content: { 'text/html': { schema: z.string() } } };

/** The consolidated report of a request: printable A4 HTML, PDF and .docx. */
export const consolidatedReportRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { reports } = ctx.services;
  const consolidators = consolidatorAccess(ctx);

  app.get(
    '/api/meetings/:id/report-requests/:requestId/consolidated.html',
    {
      onRequest: consolidators.guard,
      schema: {
        tags: reportTags,
        security: sessionOrLink,
        summary: 'Báo cáo tổng hợp (HTML khổ A4) / Consolidated report, printable A4 HTML',
        params: reportRequestParamsSchema,
        response: { 200: htmlResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      await consolidators.assert(principalOf(request), request.params.id, request.params.requestId);
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
      onRequest: consolidators.guard,
      schema: {
        tags: reportTags,
        security: sessionOrLink,
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
      await consolidators.assert(principalOf(request), request.params.id, request.params.requestId);
      const data = await reports.collect(request.params.id, request.params.requestId);
      const pdf = await ctx.pdf.print(renderConsolidatedHtml(data), abandonedSignal(reply.raw));
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', contentDisposition('bao-cao-tong-hop.pdf'))
        .send(pdf as unknown as string);
    },
  );

  app.get(
    '/api/meetings/:id/report-requests/:requestId/consolidated.docx',
    {
      onRequest: consolidators.guard,
      schema: {
        tags: reportTags,
        security: sessionOrLink,
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
      await consolidators.assert(principalOf(request), request.params.id, request.params.requestId);
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
