import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { meetingParamsSchema } from '../../protocol/http.js';
import type { WhipIngest } from './WhipIngest.js';

export interface WhipRoutesOptions {
  whip: WhipIngest;
}

const resourceParamsSchema = meetingParamsSchema.extend({
  resource: z.string().regex(/^[A-Za-z0-9_-]{22}$/, { error: 'resource: not a WHIP session id' }),
});
const tags = ['ingest'];
const bearer: Record<string, string[]>[] = [{ link: [] }];

function tokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
}

/**
 * WHIP (RFC 9725): `POST /whip/<meeting>` with an SDP offer and the main point's (or a site's)
 * join-link token as Bearer → 201, the answer and the session's URL in Location; `PATCH` on it
 * for trickle and ICE restarts; `DELETE` ends it.
 */
export const whipRoutes: FastifyPluginAsyncZod<WhipRoutesOptions> = async (app, { whip }) => {
  for (const type of ['application/sdp', 'application/trickle-ice-sdpfrag'])
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 64_000 }, (_req, body, done) =>
      done(null, body),
    );

  app.options('/whip/:id', { schema: { hide: true, params: meetingParamsSchema } }, (_req, reply) =>
    reply
      .header('Accept-Post', 'application/sdp')
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .code(204)
      .send(),
  );

  app.post(
    '/whip/:id',
    {
      schema: {
        tags,
        security: bearer,
        summary: 'WHIP: phát từ bộ mã hóa / publish from an encoder (SDP offer → answer)',
        params: meetingParamsSchema,
      },
    },
    async (request, reply) => {
      const holder = await whip.authorize(
        tokenOf(request.headers.authorization),
        request.params.id,
      );
      if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/sdp')
        return reply.code(415).send({ code: 'bad_request', message: 'application/sdp expected' });
      const published = await whip.publish(holder, String(request.body ?? ''));
      return reply
        .code(201)
        .header('Content-Type', 'application/sdp')
        .header('Location', `/whip/${request.params.id}/${published.id}`)
        .header('ETag', published.etag)
        .header('Accept-Patch', 'application/trickle-ice-sdpfrag')
        .send(published.answer);
    },
  );

  app.patch(
    '/whip/:id/:resource',
    {
      schema: {
        tags,
        security: bearer,
        summary: 'WHIP: trickle ICE / ICE restart',
        params: resourceParamsSchema,
      },
    },
    async (request, reply) => {
      const holder = await whip.authorize(
        tokenOf(request.headers.authorization),
        request.params.id,
      );
      const r = whip.resource(request.params.resource, holder);
      if (
        request.headers['content-type']?.split(';')[0]?.trim() !== 'application/trickle-ice-sdpfrag'
      )
        return reply
          .code(415)
          .send({ code: 'bad_request', message: 'trickle-ice-sdpfrag expected' });
      const ifMatch = request.headers['if-match'];
      if (ifMatch && ifMatch !== '*' && ifMatch !== r.etag)
        return reply.code(412).send({ code: 'bad_request', message: 'If-Match: not this ETag' });
      const patched = await whip.patch(r, String(request.body ?? ''));
      if (patched.status === 204) return reply.code(204).send();
      return reply
        .code(200)
        .header('Content-Type', 'application/trickle-ice-sdpfrag')
        .header('ETag', patched.etag)
        .send(patched.fragment);
    },
  );

  app.delete(
    '/whip/:id/:resource',
    {
      schema: {
        tags,
        security: bearer,
        summary: 'WHIP: dừng phát / end the session',
        params: resourceParamsSchema,
      },
    },
    async (request, reply) => {
      const holder = await whip.authorize(
        tokenOf(request.headers.authorization),
        request.params.id,
      );
      whip.delete(whip.resource(request.params.resource, holder));
      return reply.code(200).send();
    },
  );
};
