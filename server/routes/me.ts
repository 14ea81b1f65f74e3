import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { badRequest } from '../../protocol/errors.js';
import { errorResponses } from '../../protocol/http.js';
import { meetingViewSchema } from '../../protocol/meetings.js';
import { principalOf } from '../auth/guard.js';
import { buildMeetingView } from '../meetings/meetingView.js';
import type { RouteContext } from './routeContext.js';

/** What a join-link holder may see: their meeting, scoped to their role and site. */
export const meRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { meetings, sites } = ctx.services;

  app.get(
    '/api/me/meeting',
    {
      onRequest: ctx.guard({
        roles: ['chair', 'station', 'technician', 'viewer', 'reporter'],
        unscoped: true,
      }),
      schema: {
        tags: ['auth'],
        security: [{ joinToken: [] }],
        summary:
          'Hội nghị của liên kết / The meeting of this join link (a technician sees only their own site)',
        response: { 200: meetingViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind === 'admin')
        throw badRequest({ vi: 'Chỉ dành cho liên kết tham gia', en: 'For join links only' });
      const meeting = await meetings.get(principal.meetingId);
      const siteMap = await sites.getMany([
        meeting.mainSite.siteId,
        ...meeting.sites.map((s) => s.siteId),
      ]);
      return reply
        .header('etag', `"${meeting.version}"`)
        .send(buildMeetingView(meeting, siteMap, principal));
    },
  );
};
