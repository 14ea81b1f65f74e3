import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { WorkerPool } from '../../media/WorkerPool.js';
import { mayReadOps } from './metrics.js';

export interface HealthRoutesOptions {
  redis: Redis;
  pool: WorkerPool;
  isShuttingDown: () => boolean;
  /** The service's version (package.json), the one detail anyone may read. */
  version: string;
  /** METRICS_TOKEN: opens the details from anywhere (else loopback only). */
  metricsToken?: string;
}

const readySchema = z.object({
  ready: z.boolean(),
  version: z.string(),
  redis: z
    .object({
      ok: z.boolean(),
      latencyMs: z.number().optional(),
      error: z.string().optional(),
    })
    .optional(),
  mediasoup: z
    .object({
      ok: z.boolean(),
      workers: z.number().int(),
      expected: z.number().int(),
      pids: z.array(z.number().int()),
      ports: z.array(z.number().int()),
    })
    .optional(),
});

/**
 * /health answers while the process lives; /ready only when Redis and the media workers are up.
 * Anyone (a load balancer) learns ready and the version; worker PIDs, RTC ports and Redis
 * errors only the operators (loopback or the metrics token), like /metrics.
 */
export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (
  app,
  { redis, pool, isShuttingDown, version, metricsToken },
) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary:
          'Readiness: Redis reachable and mediasoup workers up (details from loopback or with the metrics token)',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (request, reply) => {
      let redisState: NonNullable<z.infer<typeof readySchema>['redis']>;
      const started = performance.now();
      try {
        await redis.ping();
        redisState = { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch (err) {
        redisState = { ok: false, error: (err as Error).message };
      }
      const workers = pool.workers;
      const mediasoup = {
        ok: workers.length === pool.size && workers.length > 0,
        workers: workers.length,
        expected: pool.size,
        pids: workers.map((w) => w.worker.pid),
        ports: workers.map((w) => w.port),
      };
      const ready = redisState.ok && mediasoup.ok && !isShuttingDown();
      const details = mayReadOps(request, metricsToken) ? { redis: redisState, mediasoup } : {};
      return reply.status(ready ? 200 : 503).send({ ready, version, ...details });
    },
  );
};
