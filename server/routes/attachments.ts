import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema, notFound } from '../../protocol/errors.js';
import { optionalText } from '../../protocol/fields.js';
import {
  attachmentParamsSchema,
  errorResponses,
  meetingParamsSchema,
  okSchema,
} from '../../protocol/http.js';
import {
  type Attachment,
  attachmentLinkInputSchema,
  attachmentSchema,
} from '../../protocol/meetings.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { meetingPeople, type RouteContext, sessionOrLink } from './routeContext.js';
import { contentDisposition, receiveFile } from './uploads.js';

const uploadTitleSchema = optionalText({ vi: 'Tên tài liệu', en: 'Document title' }, 300);

const tags = ['documents'];

export const attachmentRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { meetings, attachments, meetingAttachments } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });

  app.post(
    '/api/meetings/:id/attachments',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary: `Tải lên tài liệu / Upload a document (multipart/form-data: optional "title" field, then "file"; at most ${Math.floor(ctx.limits.uploadMaxBytes / 1024 / 1024)} MiB)`,
        consumes: ['multipart/form-data'],
        params: meetingParamsSchema,
        response: { 201: attachmentSchema, 413: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await meetings.get(id);
      const attachmentId = randomUUID();
      const stored = attachments.document(id, attachmentId);
      const file = await receiveFile(request, attachments, stored, ctx.limits.uploadMaxBytes, {
        title: uploadTitleSchema,
      });
      // A new file name per upload: nobody else writes it, so it goes into place at once.
      await file.staged.commit();
      const title = file.fields.title || file.fileName;
      const attachment: Attachment = {
        id: attachmentId,
        kind: 'file',
        title,
        fileName: file.fileName,
        contentType: file.contentType,
        size: file.size,
        addedAt: new Date().toISOString(),
      };
      try {
        await meetingAttachments.add(id, attachment, actorOf(principalOf(request)));
      } catch (err) {
        await attachments.remove(stored);
        throw err;
      }
      return reply.status(201).send(attachment);
    },
  );

  app.post(
    '/api/meetings/:id/attachments/links',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary:
          'Thêm tài liệu dạng liên kết / Add a document link (e.g. on the department website)',
        params: meetingParamsSchema,
        body: attachmentLinkInputSchema,
        response: { 201: attachmentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const attachment: Attachment = {
        id: randomUUID(),
        kind: 'link',
        title: request.body.title,
        url: request.body.url,
        addedAt: new Date().toISOString(),
      };
      await meetingAttachments.add(request.params.id, attachment, actorOf(principalOf(request)));
      return reply.status(201).send(attachment);
    },
  );

  app.get(
    '/api/meetings/:id/attachments/:attachmentId',
    {
      onRequest: ctx.guard(meetingPeople),
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Tải tài liệu / Download an uploaded document',
        params: attachmentParamsSchema,
        response: {
          200: {
            description: 'Tệp tài liệu / The document',
            content: { 'application/octet-stream': { schema: z.string() } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id, attachmentId } = request.params;
      const meeting = await meetings.get(id);
      const attachment = meeting.attachments.find((a) => a.id === attachmentId);
      if (attachment?.kind !== 'file')
        throw notFound({
          vi: 'Không tìm thấy tài liệu',
          en: `Attachment not found: ${attachmentId}`,
        });
      const file = await attachments.open(attachments.document(id, attachment.id));
      if (!file) throw notFound({ vi: 'Tệp tài liệu đã mất', en: 'The document file is missing' });
      return (
        reply
          .header('content-type', attachment.contentType ?? 'application/octet-stream')
          .header('content-length', file.size)
          .header(
            'content-disposition',
            contentDisposition(attachment.fileName ?? attachment.title),
          )
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          // Streams bypass the serializer; the declared type describes the bytes for OpenAPI.
          .send(file.stream as unknown as string)
      );
    },
  );

  app.delete(
    '/api/meetings/:id/attachments/:attachmentId',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary: 'Xóa tài liệu / Remove a document',
        params: attachmentParamsSchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id, attachmentId } = request.params;
      const removed = await meetingAttachments.remove(
        id,
        attachmentId,
        actorOf(principalOf(request)),
      );
      if (removed.kind === 'file') await attachments.remove(attachments.document(id, removed.id));
      return { ok: true as const };
    },
  );
};
