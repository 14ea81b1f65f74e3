import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loginInputSchema, meResponseSchema, roles } from '../../protocol/auth.js';
import { AppError, errorBodySchema } from '../../protocol/errors.js';
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

  // Logins have their own, stricter budget on top of the API's (which has already counted the
  // request: the plugin runs a request's limiter once, so this one is called by hand).
  const loginBudget = app.createRateLimit({
    max: ctx.limits.loginMax,
    timeWindow: ctx.limits.loginWindowMs,
    keyGenerator: (request) => `login:${request.ip}`,
  });
  app.post(
    '/api/auth/login',
    {
      onRequest: async (request) => {
        const budget = await loginBudget(request);
        // isAllowed means "on the allow list"; a counted request is over when exceeded.
        if (!budget.isAllowed && budget.isExceeded)
          throw new AppError(
            'rate_limited',
            {
              vi: `Quá nhiều yêu cầu đăng nhập, hãy thử lại sau ${budget.ttlInSeconds} giây`,
              en: `Too many logins, retry in ${budget.ttlInSeconds} s`,
            },
            { retryAfterSeconds: budget.ttlInSeconds },
          );
      },
      schema: {
        tags: ['auth'],
        summary: 'Đăng nhập quản trị / Admin login (sets the session cookie)',
        body: loginInputSchema,
        response: {
          200: meResponseSchema,
          400: errorBodySchema,
          401: errorBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // Per address and per account: a guesser spread over many addresses still backs off.
      await access.failures.assertAllowed(request.ip, username);
      let session: Awaited<ReturnType<typeof access.accounts.login>>;
      try {
        session = await access.accounts.login(username, password);
      } catch (err) {
        if (err instanceof AppError && err.code === 'unauthorized')
          await access.failures.failed(request.ip, username);
        throw err;
      }
      await access.failures.succeeded(username);
      const { sessionId, expiresAt, principal } = session;
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
