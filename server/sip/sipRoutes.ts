import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import { meetingSipAddressSchema, sipCallSchema } from '../../protocol/sip.js';
import { makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { SipEdge } from './SipEdge.js';

export interface SipRoutesOptions {
  services: DataServices;
  sip: SipEdge;
}

const tags = ['sip'];
const security = [{ session: [] }];

/** IT's view of the SIP edge: the address a meeting is dialled at, and the calls on this node. */
export const sipRoutes: FastifyPluginAsyncZod<SipRoutesOptions> = async (app, opts) => {
  const adminOnly = makeGuard(opts.services.access)({ roles: ['admin'] });

  app.get(
    '/api/meetings/:id/sip',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Địa chỉ SIP của hội nghị / The SIP address halls dial to join the meeting',
        params: meetingParamsSchema,
        response: { 200: meetingSipAddressSchema, ...errorResponses },
      },
    },
    async (request) => {
      await opts.services.meetings.get(request.params.id);
      return opts.sip.addressOf(request.params.id);
    },
  );

  app.get(
    '/api/meetings/:id/sip/calls',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Cuộc gọi SIP của hội nghị / The room systems calls of the meeting on this node',
        params: meetingParamsSchema,
        response: { 200: z.array(sipCallSchema), ...errorResponses },
      },
    },
    async (request) => opts.sip.callsView(request.params.id),
  );
};
