import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import { meetingSipAddressSchema, sipCallSchema, sipSiteCallSchema } from '../../protocol/sip.js';
import { makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { DialOut } from './DialOut.js';
import type { SipEdge } from './SipEdge.js';

export interface SipRoutesOptions {
  services: DataServices;
  sip: SipEdge;
  dialOut: DialOut;
}

const tags = ['sip'];
const security = [{ session: [] }];

/** IT's view of the SIP edge: the address a meeting is dialled at, and the calls on this node. */
export const sipRoutes: FastifyPluginAsyncZod<SipRoutesOptions> = async (app, opts) => {
  const guard = makeGuard(opts.services.access);
  const adminOnly = guard({ roles: ['admin'] });
  // Whoever watches the readiness board (IT, the meeting's chair) sees its SIP sites' calls.
  const board = guard({ roles: ['admin', 'chair'], meetingParam: 'id' });

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

  app.get(
    '/api/meetings/:id/sip/sites',
    {
      onRequest: board,
      schema: {
        tags,
        security,
        summary:
          "Trạng thái cuộc gọi của các điểm cầu SIP / Call state of the meeting's SIP sites (not called, calling, in call, on hold, dropped)",
        params: meetingParamsSchema,
        response: { 200: z.array(sipSiteCallSchema), ...errorResponses },
      },
    },
    async (request) => opts.dialOut.siteCalls(request.params.id),
  );
};
