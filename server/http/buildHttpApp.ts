import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { badField } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import { trustFor } from './clientAddress.js';
import { installErrorHandler } from './error-handler.js';
import { serializeRequest } from './redact.js';
import { REQUEST_TIMEOUT_MS, requestCheckInterval } from './requestTimeout.js';
import { installSecurityHeaders } from './securityHeaders.js';

export interface BuildHttpAppOptions {
  logger: Logger;
  publicUrl: string;
  /** Proxies whose X-Forwarded-For names the client (config http.trustedProxies); default none. */
  trustedProxies?: readonly string[];
  /** Folder of the built web pages (web/dist); served at / when present. */
  webRoot?: string;
  /**
   * Serve the test client page (harness.html and its script). Default: not when
   * NODE_ENV=production (the image sets it); the tests drive endpoints through it.
   */
  serveTestPages?: boolean;
  /**
   * Longest time a client may take to send one whole request, headers and body (slowloris).
   * Default 5 min: a 20 MiB report over a slow district line still fits. Tests make it short.
   */
  requestTimeoutMs?: number;
  isShuttingDown: () => boolean;
  /** Creates the server Fastify listens on (https: server/http/tls.ts); default plain http. */
  serverFactory?: FastifyServerFactory;
}

export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The test client page and its bundle (web/vite.config.ts input "harness"). */
const testPage = /^\/(harness\.html|assets\/harness[-.][^/]*)$/;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies must be valid UTF-8: the default parser decodes leniently and stores U+FFFD in a
 * site name. Decoding strictly first, then Fastify's own parser (prototype-poisoning checks).
 */
function refuseInvalidUtf8Json(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(
        badField('body', {
          vi: 'nội dung không phải UTF-8 hợp lệ',
          en: 'the body is not valid UTF-8',
        }),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });
}

/** Infrastructure tier of the app: logging, validation, errors, docs, static pages, refusal during shutdown. */
export async function buildHttpApp(options: BuildHttpAppOptions): Promise<HttpApp> {
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    loggerInstance: options.logger.child(
      { component: 'http' },
      { serializers: { req: serializeRequest } },
    ) as FastifyBaseLogger,
    trustProxy: trustFor(options.trustedProxies ?? []),
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Node answers 408 and closes a request not received in time; it looks every interval.
    // Both given to the server's constructor: Node 20 ignores a requestTimeout set afterwards.
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: requestCheckInterval(requestTimeoutMs),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installSecurityHeaders(app, options.publicUrl);
  refuseInvalidUtf8Json(app);

  app.addHook('onRequest', async (request, reply) => {
    if (options.isShuttingDown() && request.url !== '/health') {
      reply.header('connection', 'close');
      return reply.status(503).send({
        code: 'unavailable',
        message: { vi: 'Máy chủ đang dừng', en: 'Server is shutting down' },
      });
    }
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Điểm cầu API',
        description: 'Hội nghị trực tuyến nhiều điểm cầu / multi-site online meetings',
        version: '0.1.0',
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'diemcau_session' },
          joinToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (options.webRoot && existsSync(options.webRoot)) {
    const serveTestPages = options.serveTestPages ?? process.env.NODE_ENV !== 'production';
    await app.register(fastifyStatic, {
      root: options.webRoot,
      prefix: '/',
      index: ['index.html'],
      wildcard: false,
      // The harness page starts media endpoints from the console: a test tool, not a page.
      allowedPath: (path) => serveTestPages || !testPage.test(path),
    });
  }
  return app;
}
