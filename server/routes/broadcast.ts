import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Principal } from '../../protocol/auth.js';
import {
  broadcastSettingsSchema,
  broadcastStatusSchema,
  hlsParamsSchema,
  recordingStateSchema,
  segmentParamsSchema,
} from '../../protocol/broadcast.js';
import { notFound } from '../../protocol/errors.js';
import { errorResponses, meetingParamsSchema, okSchema } from '../../protocol/http.js';
import { makeGuard, principalOf } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { BroadcastService } from '../live/broadcast.js';

export interface BroadcastRoutesOptions {
  services: DataServices;
  broadcast: BroadcastService;
}

const tags = ['broadcast'];
const either: Record<string, string[]>[] = [{ session: [] }, { joinToken: [] }];
const session: Record<string, string[]>[] = [{ session: [] }];

function actorName(p: Principal): string {
  return p.kind === 'admin' ? `admin:${p.username}` : p.kind;
}

/**
 * Recording (chair or IT start and stop it; IT downloads the segments), live out (RTMP push and
 * HLS), and the per-meeting settings. Live state goes through the meeting's LiveProgramme.
 */
export const broadcastRoutes: FastifyPluginAsyncZod<BroadcastRoutesOptions> = async (app, opts) => {
  const { services, broadcast } = opts;
  const guard = makeGuard(services.access);
  const adminOnly = guard({ roles: ['admin'] });
  const chairOrIt = guard({ roles: ['admin', 'chair'], meetingParam: 'id' });
  // Each playlist and segment request is authenticated: a revoked viewer link stops at once.
  const watchers = guard({ roles: ['admin', 'chair', 'viewer'], meetingParam: 'id' });

  app.get(
    '/api/meetings/:id/live/:file',
    {
      onRequest: watchers,
      schema: {
        tags,
        security: either,
        summary: 'Luồng HLS trực tiếp / The live HLS stream (playlist and segments)',
        params: hlsParamsSchema,
      },
    },
    async (request, reply) => {
      const live = broadcast.programme(request.params.id);
      const path = live?.hlsOn ? join(live.hlsDir, request.params.file) : undefined;
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      if (!path || !info?.isFile())
        throw notFound({ vi: 'Hội nghị chưa phát trực tiếp', en: 'The meeting is not live yet' });
      const playlist = request.params.file.endsWith('.m3u8');
      return reply
        .type(playlist ? 'application/vnd.apple.mpegurl' : 'video/mp2t')
        .header('cache-control', playlist ? 'no-cache' : 'private, max-age=60')
        .send(createReadStream(path));
    },
  );

  app.get(
    '/api/meetings/:id/broadcast',
    {
      onRequest: chairOrIt,
      schema: {
        tags,
        security: either,
        summary: 'Ghi hình và phát trực tiếp / Recording, live out and recorded segments',
        params: meetingParamsSchema,
        response: { 200: broadcastStatusSchema, ...errorResponses },
      },
    },
    async (request) => {
      await services.meetings.get(request.params.id);
      return broadcast.status(request.params.id);
    },
  );

  app.put(
    '/api/meetings/:id/broadcast/settings',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: session,
        summary: 'Cài đặt ghi hình, phát trực tiếp / Recording and live-out settings',
        params: meetingParamsSchema,
        body: broadcastSettingsSchema,
        response: { 200: broadcastSettingsSchema, ...errorResponses },
      },
    },
    async (request) => broadcast.saveSettings(request.params.id, request.body),
  );

  for (const action of ['start', 'stop'] as const) {
    app.post(
      `/api/meetings/:id/recording/${action}`,
      {
        onRequest: chairOrIt,
        schema: {
          tags,
          security: either,
          summary:
            action === 'start'
              ? 'Bắt đầu ghi hình / Start recording the programme'
              : 'Dừng ghi hình / Stop recording',
          params: meetingParamsSchema,
          response: { 200: recordingStateSchema, ...errorResponses },
        },
      },
      async (request) => {
        const actor = actorName(principalOf(request));
        return action === 'start'
          ? broadcast.startRecording(request.params.id, actor)
          : broadcast.stopRecording(request.params.id, actor);
      },
    );

    app.post(
      `/api/meetings/:id/live-out/${action}`,
      {
        onRequest: chairOrIt,
        schema: {
          tags,
          security: either,
          summary:
            action === 'start'
              ? 'Phát trực tiếp (RTMP, HLS) / Start live out'
              : 'Dừng phát trực tiếp / Stop live out',
          params: meetingParamsSchema,
          response: { 200: okSchema, ...errorResponses },
        },
      },
      async (request) => {
        const actor = actorName(principalOf(request));
        if (action === 'start') await broadcast.startLiveOut(request.params.id, actor);
        else await broadcast.stopLiveOut(request.params.id, actor);
        return { ok: true as const };
      },
    );
  }

  app.get(
    '/api/meetings/:id/recordings/:file',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: session,
        summary: 'Tải đoạn ghi hình / Download a recorded segment (MP4)',
        params: segmentParamsSchema,
      },
    },
    async (request, reply) => {
      const path = broadcast.folder.pathOf(request.params.id, request.params.file);
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      if (!path || !info?.isFile())
        throw notFound({ vi: 'Không có đoạn ghi hình này', en: 'No such recording' });
      return reply
        .type('video/mp4')
        .header('content-length', info.size)
        .header('content-disposition', `attachment; filename="${request.params.file}"`)
        .send(createReadStream(path));
    },
  );
};
