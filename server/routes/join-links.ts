import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  issuedLinkListSchema,
  issuedLinkSchema,
  issueLinkInputSchema,
  joinLinkListSchema,
  joinLinkSchema,
} from '../../protocol/auth.js';
import { errorResponses, linkParamsSchema, meetingParamsSchema } from '../../protocol/http.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import type { RouteContext } from './routeContext.js';

const tags = ['join links'];
const security = [{ session: [] }];

/**
 * Join links for chair, site technicians and the main-point station; admins only. The token
 * and URL appear only in the answer that issues them (only the hash is stored).
 */
export const joinLinkRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { access } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });

  app.get(
    '/api/meetings/:id/links',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Các liên kết tham gia / Join links of a meeting (without tokens)',
        params: meetingParamsSchema,
        response: { 200: joinLinkListSchema, ...errorResponses },
      },
    },
    async (request) => ({ links: await access.listLinks(request.params.id) }),
  );

  app.post(
    '/api/meetings/:id/links',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Cấp liên kết tham gia / Issue a join link',
        params: meetingParamsSchema,
        body: issueLinkInputSchema,
        response: { 201: issuedLinkSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await access.issueLink(
        request.params.id,
        request.body,
        actorOf(principalOf(request)),
      );
      return reply.status(201).send(issued);
    },
  );

  app.post(
    '/api/meetings/:id/links/missing',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary:
          'Cấp các liên kết còn thiếu / Issue the missing links: chair, station, one technician per site',
        params: meetingParamsSchema,
        response: { 201: issuedLinkListSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await access.issueMissingLinks(
        request.params.id,
        actorOf(principalOf(request)),
      );
      return reply.status(201).send({ issued });
    },
  );

  app.post(
    '/api/meetings/:id/links/:linkId/reissue',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Cấp lại liên kết / Revoke a link and issue a new one for the same role and site',
        params: linkParamsSchema,
        response: { 201: issuedLinkSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await access.reissueLink(
        request.params.id,
        request.params.linkId,
        actorOf(principalOf(request)),
      );
      return reply.status(201).send(issued);
    },
  );

  app.delete(
    '/api/meetings/:id/links/:linkId',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Thu hồi liên kết / Revoke a join link',
        params: linkParamsSchema,
        response: { 200: joinLinkSchema, ...errorResponses },
      },
    },
    async (request) =>
      access.revokeLink(request.params.id, request.params.linkId, actorOf(principalOf(request))),
  );
};
