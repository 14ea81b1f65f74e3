import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../protocol/errors.js';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import { ingestBoardSchema } from '../../protocol/ingest.js';
import { makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { IngestService } from './IngestService.js';
import { ingestHolder } from './ingestIdentity.js';

export interface IngestRoutesOptions {
  services: DataServices;
  ingest: IngestService;
}

const openStreamSchema = z.discriminatedUnion('protocol', [
  z.object({ protocol: z.enum(['rtmp', 'srt']) }),
  z.object({
    protocol: z.literal('pull'),
    url: z
      .string()
      .max(2000)
      .regex(/^(rtmps?|srt|rtsp|https?):\/\//, {
        error: 'url: rtmp://, rtmps://, srt://, rtsp:// or http(s)://',
      }),
  }),
]);
const streamParamsSchema = meetingParamsSchema.extend({
  stream: z.string().regex(/^[A-Za-z0-9_-]{12}$/, { error: 'stream: not a stream id' }),
});
const tags = ['ingest'];
const bearer: Record<string, string[]>[] = [{ joinToken: [] }];

function tokenOf(authorization: string | undefined): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!token)
    throw new AppError('unauthorized', {
      vi: 'Cần mã Bearer của liên kết điểm cầu',
      en: 'A Bearer token (the endpoint’s join-link token) is required',
    });
  return token;
}

/**
 * RTMP/SRT streams of an endpoint (opened and closed with its link token, which is also the
 * stream key) and the meeting's encoders as the IT board and the chair see them.
 */
export const ingestRoutes: FastifyPluginAsyncZod<IngestRoutesOptions> = async (app, opts) => {
  const { services, ingest } = opts;
  const guard = makeGuard(services.access);

  app.post(
    '/api/meetings/:id/ingest/streams',
    {
      schema: {
        tags,
        security: bearer,
        summary:
          'Mở luồng RTMP/SRT cho bộ mã hóa / Open an RTMP or SRT stream (or pull a URL) for an encoder',
        params: meetingParamsSchema,
        body: openStreamSchema,
      },
    },
    async (request, reply) => {
      const token = tokenOf(request.headers.authorization);
      const holder = await ingestHolder(services, token, request.params.id);
      const body = request.body;
      const opened = await ingest.streams.open(
        holder,
        body.protocol,
        token,
        body.protocol === 'pull' ? body.url : undefined,
      );
      return reply.code(201).send(opened);
    },
  );

  app.delete(
    '/api/meetings/:id/ingest/streams/:stream',
    {
      schema: {
        tags,
        security: bearer,
        summary: 'Đóng luồng RTMP/SRT / Close a stream',
        params: streamParamsSchema,
      },
    },
    async (request) => {
      const holder = await ingestHolder(
        services,
        tokenOf(request.headers.authorization),
        request.params.id,
      );
      await ingest.streams.close(request.params.stream, holder);
      return { ok: true };
    },
  );

  app.get(
    '/api/meetings/:id/ingest',
    {
      onRequest: guard({ roles: ['admin', 'chair', 'station'], meetingParam: 'id' }),
      schema: {
        tags,
        summary: 'Bộ mã hóa đang phát vào hội nghị / The meeting’s encoders (WHIP, RTMP, SRT)',
        params: meetingParamsSchema,
        response: { 200: ingestBoardSchema, ...errorResponses },
      },
    },
    async (request) => ({
      whip: await ingest.whip.list(request.params.id),
      streams: ingest.streams.list(request.params.id),
    }),
  );
};
