import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export interface MetricsRoutesOptions {
  registry: Registry;
  /** Bearer token that opens /metrics from anywhere; without it only loopback may scrape. */
  token?: string;
}

/**
 * Loopback by the socket's own address (not request.ip, which trusts X-Forwarded-For), and
 * only when no proxy header is present: a reverse proxy on the same host connects from
 * loopback on behalf of anyone.
 */
export function fromLoopback(request: FastifyRequest): boolean {
  const address = request.raw.socket.remoteAddress ?? '';
  const loopback =
    address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  const proxied =
    request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return loopback && !proxied;
}

export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Operators' detail (/metrics, /ready's internals): loopback, or the metrics bearer token. */
export function mayReadOps(request: FastifyRequest, token: string | undefined): boolean {
  return (
    fromLoopback(request) ||
    (token !== undefined && bearerMatches(request.headers.authorization, token))
  );
}

/**
 * The HTTP latency histogram. Installed on the root app before any route is registered, so
 * its hook sees every route.
 */
export function installHttpLatency(app: FastifyInstance, registry: Registry): void {
  const latency = new Histogram({
    name: 'diemcau_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The pattern, not the URL: ids in paths would make one series per meeting.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    latency.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

/** GET /metrics in Prometheus text format. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (
  app,
  { registry, token },
) => {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const allowed = mayReadOps(request, token);
    if (!allowed) {
      return reply.status(token ? 401 : 403).send({
        code: token ? 'unauthorized' : 'forbidden',
        message: token
          ? { vi: 'Cần mã truy cập (Authorization: Bearer)', en: 'A bearer token is required' }
          : {
              vi: 'Chỉ truy cập từ máy chủ (hoặc đặt METRICS_TOKEN)',
              en: 'Loopback only (or set METRICS_TOKEN)',
            },
      });
    }
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
};
