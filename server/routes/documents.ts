import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import type { Meeting } from '../../protocol/meetings.js';
import { renderConvocation } from '../documents/convocation.js';
import { renderIcs } from '../documents/ics.js';
import { meetingPeople, type RouteContext, sessionOrLink } from './routeContext.js';

const tags = ['documents'];

/**
 * Documents for people: the convening letter and calendar files. Every holder of a link to the
 * meeting may read them: the letter is addressed to every site and names no contact details.
 */
export const documentRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { meetings, sites, publicUrl } = ctx.services;
  const anyoneInMeeting = ctx.guard(meetingPeople);

  const siteMapOf = (m: Meeting) =>
    sites.getMany([m.mainSite.siteId, ...m.sites.map((s) => s.siteId)]);

  app.get(
    '/api/meetings/:id/convocation',
    {
      onRequest: anyoneInMeeting,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Giấy triệu tập (HTML khổ A4 để in) / Convening letter, printable A4 HTML',
        params: meetingParamsSchema,
        response: {
          200: {
            description: 'HTML',
            content: { 'text/html': { schema: z.string() } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.get(request.params.id);
      const html = renderConvocation(meeting, { sites: await siteMapOf(meeting), publicUrl });
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        )
        .header('x-content-type-options', 'nosniff')
        .send(html);
    },
  );

  for (const kind of ['meeting', 'check'] as const) {
    app.get(
      `/api/meetings/:id/${kind}.ics`,
      {
        onRequest: anyoneInMeeting,
        schema: {
          tags,
          security: sessionOrLink,
          summary:
            kind === 'meeting'
              ? 'Lịch hội nghị (.ics) / Calendar file for the meeting'
              : 'Lịch kiểm tra kỹ thuật (.ics) / Calendar file for the technical check',
          params: meetingParamsSchema,
          response: {
            200: {
              description: 'iCalendar (RFC 5545)',
              content: { 'text/calendar': { schema: z.string() } },
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const meeting = await meetings.get(request.params.id);
        const main = await sites.find(meeting.mainSite.siteId);
        const ics = renderIcs(meeting, {
          publicUrl,
          kind,
          ...(main ? { mainSiteName: main.name } : {}),
        });
        return reply
          .header('content-type', 'text/calendar; charset=utf-8')
          .header('content-disposition', `attachment; filename="${kind}-${meeting.id}.ics"`)
          .send(ics);
      },
    );
  }
};
