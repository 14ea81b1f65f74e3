import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clusterNodeSchema, liveLocationSchema } from '../../protocol/cluster.js';
import { conflict } from '../../protocol/errors.js';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import { makeGuard } from '../auth/guard.js';
import type { ClusterNode } from '../cluster/ClusterNode.js';
import type { DataServices } from '../DataServices.js';
import { meetingPeople, sessionOrLink } from './routeContext.js';

export interface ClusterRoutesOptions {
  services: DataServices;
  cluster: ClusterNode;
}

const tags = ['cluster'];

/** Where a meeting's live session runs (placing it if needed), and the nodes, for IT. */
export const clusterRoutes: FastifyPluginAsyncZod<ClusterRoutesOptions> = async (app, opts) => {
  const guard = makeGuard(opts.services.access);

  app.get(
    '/api/meetings/:id/live',
    {
      onRequest: guard(meetingPeople),
      schema: {
        tags,
        security: sessionOrLink,
        summary:
          'Máy chủ đang chạy phiên họp / The server that runs the live session (connect socket.io there)',
        params: meetingParamsSchema,
        response: { 200: liveLocationSchema, ...errorResponses },
      },
    },
    async (request) => {
      const meeting = await opts.services.meetings.get(request.params.id);
      // No session for a cancelled meeting: nothing may place a lease for it.
      if (meeting.state === 'cancelled')
        throw conflict(
          { vi: 'Hội nghị đã bị hủy', en: 'The meeting was cancelled' },
          { state: meeting.state },
        );
      // A site's technician may be placed on another node of a cascaded meeting.
      const principal = request.principal;
      if (principal?.kind === 'technician') {
        const node = await opts.cluster.sites.nodeOf(request.params.id, principal.siteId);
        return { url: node.url, nodeId: node.nodeId };
      }
      const lease = await opts.cluster.placement.locate(request.params.id);
      return { url: lease.url, nodeId: lease.nodeId };
    },
  );

  app.get(
    '/api/cluster/nodes',
    {
      onRequest: guard({ roles: ['admin'] }),
      schema: {
        tags,
        security: [{ session: [] }],
        summary: 'Các máy chủ đang chạy / The nodes running now, with their load',
        response: { 200: z.array(clusterNodeSchema), ...errorResponses },
      },
    },
    async () => opts.cluster.registry.list(),
  );
};
