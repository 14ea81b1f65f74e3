import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loginInputSchema, meResponseSchema, roles } from '../../protocol/auth.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { okSchema } from '../../protocol/http.js';
import { SESSION_COOKIE } from '../auth/AdminAccounts.js';
import { principalOf } from '../auth/guard.js';
import { type RouteContext, sessionOrLink } from './routeContext.js';

/** Admin login with a session cookie; /me answers for admins and join links alike. */
export const authRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { access } = ctx.services;
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.secureCookies,
  };

  app.post(
    '/api/auth/login',
    {
      config: {
        rateLimit: {
          max: ctx.limits.loginMax,
          timeWindow: ctx.limits.loginWindowMs,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Đăng nhập quản trị / Admin login (sets the session cookie)',
        body: loginInputSchema,
        response: { 200: meResponseSchema, 400: errorBodySchema, 401: errorBodySchema },
      },
    },
    async (request, reply) => {
      const { sessionId, expiresAt, principal } = await access.accounts.login(
        request.body.username,
        request.body.password,
      );
      void reply.setCookie(SESSION_COOKIE, sessionId, {
        ...cookieOptions,
        maxAge: access.accounts.sessionTtlSeconds,
      });
      return { principal, expiresAt };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Đăng xuất / Log out',
        response: { 200: okSchema },
      },
    },
    async (request, reply) => {
      const sessionId = request.cookies[SESSION_COOKIE];
      if (sessionId) await access.accounts.logout(sessionId);
      void reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/auth/me',
    {
      onRequest: ctx.guard({ roles, unscoped: true }),
      schema: {
        tags: ['auth'],
        summary: 'Người đang gọi / Who am I (session cookie or Bearer join token)',
        security: sessionOrLink,
        response: { 200: meResponseSchema, 401: errorBodySchema },
      },
    },
    async (request) => ({
      principal: principalOf(request),
      ...(request.principalExpiresAt ? { expiresAt: request.principalExpiresAt } : {}),
    }),
  );
};
