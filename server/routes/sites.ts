import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  errorResponses,
  ifMatchHeadersSchema,
  okSchema,
  siteParamsSchema,
} from '../../protocol/http.js';
import { siteInputSchema, siteSchema, siteUpdateSchema } from '../../protocol/sites.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { expectedVersion, requireVersion } from '../store/versions.js';
import type { RouteContext } from './routeContext.js';

const tags = ['sites'];
const security = [{ session: [] }];

/** The site directory; admins only (it holds technicians' phone numbers). */
export const siteRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { sites } = ctx.services;
  const adminOnly = ctx.guard({ roles: ['admin'] });

  app.get(
    '/api/sites',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Danh sách điểm cầu / List sites',
        response: { 200: z.object({ sites: z.array(siteSchema) }), ...errorResponses },
      },
    },
    async () => ({ sites: await sites.list() }),
  );

  app.post(
    '/api/sites',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Thêm điểm cầu / Create a site',
        body: siteInputSchema,
        response: { 201: siteSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const site = await sites.create(request.body, actorOf(principalOf(request)));
      return reply.status(201).header('etag', `"${site.version}"`).send(site);
    },
  );

  app.get(
    '/api/sites/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Một điểm cầu / Get a site',
        params: siteParamsSchema,
        response: { 200: siteSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const site = await sites.get(request.params.id);
      return reply.header('etag', `"${site.version}"`).send(site);
    },
  );

  app.put(
    '/api/sites/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Sửa điểm cầu / Replace a site (If-Match or body.version required)',
        params: siteParamsSchema,
        headers: ifMatchHeadersSchema,
        body: siteUpdateSchema,
        response: { 200: siteSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { version, ...input } = request.body;
      const expected = requireVersion(expectedVersion(request.headers['if-match'], version));
      const site = await sites.update(
        request.params.id,
        input,
        expected,
        actorOf(principalOf(request)),
      );
      return reply.header('etag', `"${site.version}"`).send(site);
    },
  );

  app.delete(
    '/api/sites/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Xóa điểm cầu / Delete a site (refused while a meeting lists it)',
        params: siteParamsSchema,
        headers: ifMatchHeadersSchema,
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request) => {
      await sites.delete(
        request.params.id,
        expectedVersion(request.headers['if-match'], undefined),
        actorOf(principalOf(request)),
      );
      return { ok: true as const };
    },
  );
};
