import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditListSchema } from '../../protocol/auth.js';
import {
  auditQuerySchema,
  errorResponses,
  ifMatchHeadersSchema,
  meetingActionParamsSchema,
  meetingParamsSchema,
  okSchema,
} from '../../protocol/http.js';
import {
  meetingActionInputSchema,
  meetingInputSchema,
  meetingListSchema,
  meetingSchema,
  meetingStateSchema,
  meetingUpdateSchema,
} from '../../protocol/meetings.js';
import { actorOf } from '../auth/AccessService.js';
import { assertMayPerform, principalOf } from '../auth/guard.js';
import { expectedVersion, requireVersion } from '../store/versions.js';
import { meetingPeople, type RouteContext, sessionOrLink } from './routeContext.js';

const tags = ['meetings'];

/** Meetings: CRUD for admins, lifecycle actions for admins, chair and station per action. */
export const meetingRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { meetings, audit, attachments } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });

  app.get(
    '/api/meetings',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary: 'Danh sách hội nghị / List meetings (by opening time)',
        querystring: z.object({
          state: z
            .union([meetingStateSchema, z.array(meetingStateSchema)])
            .optional()
            .describe('Lọc theo trạng thái / Only these states'),
        }),
        response: { 200: meetingListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { state } = request.query;
      const states = state === undefined ? undefined : Array.isArray(state) ? state : [state];
      return { meetings: await meetings.list(states ? { states } : {}) };
    },
  );

  app.post(
    '/api/meetings',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary: 'Tạo hội nghị (bản nháp) / Create a meeting (as a draft)',
        body: meetingInputSchema,
        response: { 201: meetingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.create(request.body, actorOf(principalOf(request)));
      return reply.status(201).header('etag', `"${meeting.version}"`).send(meeting);
    },
  );

  app.get(
    '/api/meetings/:id',
    {
      onRequest: ctx.guard({ roles: ['admin', 'chair', 'station'], meetingParam: 'id' }),
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Một hội nghị / Get a meeting',
        params: meetingParamsSchema,
        response: { 200: meetingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.get(request.params.id);
      return reply.header('etag', `"${meeting.version}"`).send(meeting);
    },
  );

  app.put(
    '/api/meetings/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary:
          'Sửa hội nghị / Replace a meeting’s content (If-Match or body.version required); state changes go through actions',
        params: meetingParamsSchema,
        headers: ifMatchHeadersSchema,
        body: meetingUpdateSchema,
        response: { 200: meetingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { version, ...input } = request.body;
      const expected = requireVersion(expectedVersion(request.headers['if-match'], version));
      const meeting = await meetings.update(
        request.params.id,
        input,
        expected,
        actorOf(principalOf(request)),
      );
      return reply.header('etag', `"${meeting.version}"`).send(meeting);
    },
  );

  app.delete(
    '/api/meetings/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary:
          'Xóa hội nghị (bản nháp, đã hủy hoặc đã kết thúc) / Delete a draft, cancelled or ended meeting',
        params: meetingParamsSchema,
        headers: ifMatchHeadersSchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      await meetings.delete(
        id,
        expectedVersion(request.headers['if-match'], undefined),
        actorOf(principalOf(request)),
      );
      await attachments
        .removeMeeting(id)
        .catch((err: unknown) =>
          request.log.error({ err, meetingId: id }, 'could not remove uploaded documents'),
        );
      return { ok: true as const };
    },
  );

  app.post(
    '/api/meetings/:id/actions/:action',
    {
      onRequest: ctx.guard(meetingPeople),
      schema: {
        tags,
        security: sessionOrLink,
        summary:
          'Chuyển trạng thái / Lifecycle action: schedule, unschedule, startCheck, endCheck, goLive, end, cancel, reopen',
        params: meetingActionParamsSchema,
        headers: ifMatchHeadersSchema,
        body: meetingActionInputSchema,
        response: { 200: meetingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id, action } = request.params;
      assertMayPerform(principal, action);
      const meeting = await ctx.lifecycle.perform(
        id,
        action,
        actorOf(principal),
        expectedVersion(request.headers['if-match'], request.body?.version),
      );
      return reply.header('etag', `"${meeting.version}"`).send(meeting);
    },
  );

  app.get(
    '/api/meetings/:id/audit',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: [{ session: [] }],
        summary: 'Nhật ký thay đổi của hội nghị / Audit trail of a meeting (newest first)',
        params: meetingParamsSchema,
        querystring: auditQuerySchema,
        response: { 200: auditListSchema, ...errorResponses },
      },
    },
    async (request) => {
      await meetings.get(request.params.id);
      return { entries: await audit.list(request.params.id, request.query.limit) };
    },
  );

  app.get(
    '/api/audit',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['audit'],
        security: [{ session: [] }],
        summary: 'Nhật ký thay đổi toàn hệ thống / Global audit trail (newest first)',
        querystring: auditQuerySchema,
        response: { 200: auditListSchema, ...errorResponses },
      },
    },
    async (request) => ({ entries: await audit.list(undefined, request.query.limit) }),
  );
};
