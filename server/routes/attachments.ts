import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AppError,
  badRequest,
  errorBodySchema,
  notFound,
} from '../../signaling/protocol/errors.js';
import { isFreeText, optionalText } from '../../signaling/protocol/fields.js';
import {
  attachmentParamsSchema,
  errorResponses,
  meetingParamsSchema,
  okSchema,
} from '../../signaling/protocol/http.js';
import {
  type Attachment,
  attachmentLinkInputSchema,
  attachmentSchema,
} from '../../signaling/protocol/meetings.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import type { RouteContext } from './routeContext.js';

const tags = ['documents'];

/**
 * Documents delegates print and bring (seed 003). Only office formats, PDFs, images and
 * archives; served back as downloads so an uploaded file can never run as a page of the site.
 */
const allowedTypes: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odp': 'application/vnd.oasis.opendocument.presentation',
  '.rtf': 'application/rtf',
  '.txt': 'text/plain; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.zip': 'application/zip',
};

const uploadTitleSchema = optionalText({ vi: 'Tên tài liệu', en: 'Document title' }, 300);

/** Keeps the name people see, minus anything that could act as a path. */
function cleanFileName(name: string): string {
  const base = name
    .normalize('NFC')
    .replace(/[\\/]/g, '_')
    .replace(/\p{Cc}/gu, '')
    .trim();
  return (base || 'tai-lieu').slice(-200);
}

function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\]/g, '_');
  return `attachment; filename="${ascii || 'tai-lieu'}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export const attachmentRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { meetings, uploadsDir } = ctx.services;
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
      if (!request.isMultipart())
        throw badRequest(
          'body: cần multipart/form-data với trường "file" / multipart/form-data with a "file" field is required',
        );
      const part = await request.file();
      if (!part) throw badRequest('body.file: thiếu tệp / the file is missing');
      if (!isFreeText(part.filename)) {
        part.file.resume();
        throw badRequest(
          'body.file: tên tệp chứa ký tự điều khiển hoặc ký tự đảo chiều / the file name contains control or bidi override characters',
        );
      }
      const fileName = cleanFileName(part.filename);
      const ext = extname(fileName).toLowerCase();
      const contentType = allowedTypes[ext];
      if (!contentType) {
        part.file.resume();
        throw badRequest(
          `body.file: loại tệp "${ext || '(không có đuôi)'}" không được phép; dùng ${Object.keys(allowedTypes).join(', ')} / file type not allowed`,
        );
      }
      const titleField = part.fields.title;
      const rawTitle =
        titleField && !Array.isArray(titleField) && titleField.type === 'field'
          ? String(titleField.value)
          : '';
      const parsedTitle = uploadTitleSchema.safeParse(rawTitle);
      if (!parsedTitle.success) {
        part.file.resume();
        throw badRequest(`body.title: ${parsedTitle.error.issues[0]?.message}`);
      }
      const title = parsedTitle.data || fileName;
      const attachmentId = randomUUID();
      const dir = join(uploadsDir, id);
      await mkdir(dir, { recursive: true });
      const partial = join(dir, `${attachmentId}.part`);
      const final = join(dir, attachmentId);
      try {
        await pipeline(part.file, createWriteStream(partial));
        if (part.file.truncated) {
          throw new AppError(
            'payload_too_large',
            `body.file: tệp quá lớn (tối đa ${ctx.limits.uploadMaxBytes} byte) / file too large`,
          );
        }
        await rename(partial, final);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      const attachment: Attachment = {
        id: attachmentId,
        kind: 'file',
        title,
        fileName,
        contentType,
        size: (await stat(final)).size,
        addedAt: new Date().toISOString(),
      };
      try {
        await meetings.addAttachment(id, attachment, actorOf(principalOf(request)));
      } catch (err) {
        await rm(final, { force: true });
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
      await meetings.addAttachment(request.params.id, attachment, actorOf(principalOf(request)));
      return reply.status(201).send(attachment);
    },
  );

  app.get(
    '/api/meetings/:id/attachments/:attachmentId',
    {
      onRequest: ctx.guard({
        roles: ['admin', 'chair', 'station', 'technician'],
        meetingParam: 'id',
      }),
      schema: {
        tags,
        security: [{ session: [] }, { joinToken: [] }],
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
        throw notFound(`Không tìm thấy tài liệu / Attachment not found: ${attachmentId}`);
      const path = join(uploadsDir, id, attachment.id);
      const size = await stat(path).then(
        (s) => s.size,
        () => {
          throw notFound('Tệp tài liệu đã mất / The document file is missing');
        },
      );
      return (
        reply
          .header('content-type', attachment.contentType ?? 'application/octet-stream')
          .header('content-length', size)
          .header(
            'content-disposition',
            contentDisposition(attachment.fileName ?? attachment.title),
          )
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          // Streams bypass the serializer; the declared type describes the bytes for OpenAPI.
          .send(createReadStream(path) as unknown as string)
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
      const removed = await meetings.removeAttachment(
        id,
        attachmentId,
        actorOf(principalOf(request)),
      );
      if (removed.kind === 'file') await rm(join(uploadsDir, id, removed.id), { force: true });
      return { ok: true as const };
    },
  );
};
