import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../../protocol/http.js';
import { type ToolsReport, toolsReportSchema } from '../../protocol/ops.js';
import { makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { MediaProbes } from '../ops/mediaProbe.js';

export interface OpsRoutesOptions {
  services: DataServices;
  /** The optional tools' state (server/ops/tools.ts), checked again at most once a minute. */
  tools: () => Promise<ToolsReport>;
  probes?: MediaProbes;
  /** ANNOUNCED_ADDRESS: where the doctor sends its checks. */
  announcedAddress?: string;
}

const probeSchema = z.object({
  announcedAddress: z.string(),
  targets: z.array(
    z.object({
      worker: z.int(),
      port: z.int(),
      usernameFragment: z.string(),
      password: z.string(),
    }),
  ),
});

/** Deployment details for IT only (the public /ready says ready or not, nothing more). */
export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, opts) => {
  const guard = makeGuard(opts.services.access);
  app.get(
    '/api/ops/tools',
    {
      onRequest: guard({ roles: ['admin'] }),
      schema: {
        tags: ['ops'],
        security: [{ session: [] }],
        summary:
          'Chương trình phụ trợ còn thiếu / Optional tools (Chromium, FFmpeg, GStreamer, fonts) and what a missing one disables',
        response: { 200: toolsReportSchema, ...errorResponses },
      },
    },
    async () => opts.tools(),
  );

  const probes = opts.probes;
  if (probes) {
    app.post(
      '/api/ops/media-probe',
      {
        onRequest: guard({ roles: ['admin'] }),
        schema: {
          tags: ['ops'],
          security: [{ session: [] }],
          summary:
            'Cổng media để kiểm tra / A throwaway transport on every media worker, for npm run doctor to check its UDP and TCP port (30 s)',
          response: { 200: probeSchema, ...errorResponses },
        },
      },
      async () => ({ announcedAddress: opts.announcedAddress ?? '', targets: await probes.open() }),
    );
  }
};
