import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../protocol/errors.js';
import { makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import { PdfPrinter } from '../documents/printPdf.js';
import { assertSameOrigin, originHeaders } from '../http/sameOrigin.js';
import type { MeetingLifecycle } from '../live/LiveMeetings.js';
import type { ApiLimits, RouteContext } from './routeContext.js';

export type { ApiLimits, RouteContext } from './routeContext.js';

import { attachmentRoutes } from './attachments.js';
import { attendanceRoutes } from './attendance.js';
import { authRoutes } from './auth.js';
import { consolidatedReportRoutes } from './consolidated-reports.js';
import { documentRoutes } from './documents.js';
import { joinLinkRoutes } from './join-links.js';
import { meRoutes } from './me.js';
import { meetingRoutes } from './meetings.js';
import { reportRoutes } from './reports.js';
import { siteReportRoutes } from './site-reports.js';
import { siteRoutes } from './sites.js';

export const defaultApiLimits: ApiLimits = {
  loginMax: 10,
  loginWindowMs: 5 * 60_000,
  requestMax: 600,
  requestWindowMs: 60_000,
  uploadMaxBytes: 20 * 1024 * 1024,
};

export interface ApiRoutesOptions {
  services: DataServices;
  /** Secure cookies when the public URL is https. */
  secureCookies: boolean;
  /** PUBLIC_URL: cookie-authenticated writes must come from this origin. */
  publicUrl: string;
  limits?: Partial<ApiLimits>;
  /** Carries out lifecycle actions; the live layer's, so a live session is ended through itself. */
  lifecycle?: MeetingLifecycle;
  /** Chromium for the PDF documents (config.documents.chromiumPath). */
  chromiumPath?: string;
  /** Other route groups under /api (readiness): registered here so the same limits apply. */
  also?: (scope: Parameters<FastifyPluginAsyncZod>[0]) => Promise<void>;
}

/**
 * The /api routes of the department's data, encapsulated: rate limiting and multipart apply
 * only here. Rate-limit counters live in Redis so several app instances share them.
 */
export const apiRoutes: FastifyPluginAsyncZod<ApiRoutesOptions> = async (app, options) => {
  const limits: ApiLimits = { ...defaultApiLimits, ...options.limits };
  const { services } = options;
  await app.register(rateLimit, {
    // Not per route: the plugin would add its hook after a route's guard, and a request the
    // guard refuses (401/403) would never be counted. The scope hook below runs first.
    global: false,
    max: limits.requestMax,
    timeWindow: limits.requestWindowMs,
    redis: services.store.redis,
    nameSpace: services.store.keys.rateLimit,
    // A Redis hiccup must not lock everyone out; requests then go unlimited briefly.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'rate_limited',
        {
          vi: `Quá nhiều yêu cầu, hãy thử lại sau ${Math.ceil(context.ttl / 1000)} giây`,
          en: `Too many requests, retry in ${Math.ceil(context.ttl / 1000)} s`,
        },
        { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      ),
  });
  // Every /api request counts, before anything else looks at it (authentication included).
  app.addHook('onRequest', app.rateLimit());
  const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
  app.addHook('onRequest', async (request) => {
    // A request with an Authorization header is judged by it alone, never by the cookie.
    if (safeMethods.has(request.method) || request.headers.authorization) return;
    assertSameOrigin(originHeaders(request.headers, request.protocol), options.publicUrl);
  });
  await app.register(multipart, {
    limits: { fileSize: limits.uploadMaxBytes, files: 1, fields: 10, fieldSize: 10_000 },
  });
  app.decorateRequest('principal', undefined);
  app.decorateRequest('principalExpiresAt', undefined);

  const context: RouteContext = {
    services,
    guard: makeGuard(services.access),
    limits,
    secureCookies: options.secureCookies,
    lifecycle: options.lifecycle ?? {
      perform: (id, action, actor, expected) =>
        services.meetings.transition(id, action, actor, expected),
    },
    pdf: new PdfPrinter(options.chromiumPath ?? '/usr/bin/chromium'),
  };
  await app.register(authRoutes, context);
  await app.register(meRoutes, context);
  await app.register(siteRoutes, context);
  await app.register(meetingRoutes, context);
  await app.register(joinLinkRoutes, context);
  await app.register(attachmentRoutes, context);
  await app.register(documentRoutes, context);
  await app.register(reportRoutes, context);
  await app.register(siteReportRoutes, context);
  await app.register(consolidatedReportRoutes, context);
  await app.register(attendanceRoutes, context);
  if (options.also) await options.also(app);
};
