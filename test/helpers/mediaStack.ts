import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { WorkerPool } from '../../media/WorkerPool.js';
import { AppError } from '../../protocol/errors.js';
import { buildHttpApp, type HttpApp } from '../../server/http/buildHttpApp.js';
import { SessionDirectory } from '../../signaling/SessionDirectory.js';
import { type SignalingPrincipal, SignalingServer } from '../../signaling/SignalingServer.js';
import type { SessionMeetingInfo } from '../../signaling/session/MeetingSession.js';
import { testLogger } from './logger.js';

export interface MediaStack {
  url: string;
  app: HttpApp;
  pool: WorkerPool;
  signaling: SignalingServer;
  ended: string[];
}

let nextPortBase = 42000 + (process.pid % 200) * 40;

/**
 * The real media path (mediasoup workers, WebRtcServers, rooms, socket.io signaling, the built
 * pages) with a small token table standing in for the access layer, which has its own tests.
 */
export async function startMediaStack(
  t: Test,
  opts: {
    numWorkers?: number;
    tokens: Record<string, SignalingPrincipal>;
    info?: SessionMeetingInfo;
    maxConsumersPerRouter?: number;
    idleCloseMs?: number;
  },
): Promise<MediaStack> {
  let pool: WorkerPool | undefined;
  for (let attempt = 0; !pool; attempt++) {
    const rtcPortBase = nextPortBase;
    nextPortBase += 10;
    try {
      pool = await WorkerPool.create({
        numWorkers: opts.numWorkers ?? 1,
        listenIp: '127.0.0.1',
        announcedAddress: '127.0.0.1',
        rtcPortBase,
        logLevel: 'warn',
        logger: testLogger,
      });
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
  const app = await buildHttpApp({
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    webRoot: join(process.cwd(), 'web', 'dist'),
    isShuttingDown: () => false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const ended: string[] = [];
  const sites = new Map<string, string>();
  for (const p of Object.values(opts.tokens)) if (p.siteId) sites.set(p.siteId, p.name);
  const directory = new SessionDirectory({
    httpServer: app.server,
    logger: testLogger,
    authenticate: async ({ token }) => {
      const p = token ? opts.tokens[token] : undefined;
      if (!p)
        throw new AppError('unauthorized', { vi: 'Liên kết không hợp lệ', en: 'Invalid link' });
      return p;
    },
  });
  const signaling = new SignalingServer({
    directory,
    pool,
    logger: testLogger,
    meetingInfo: async () => opts.info ?? { title: 'Hội nghị thử', sites, agendaLength: 3 },
    hooks: () => ({
      started: async () => {},
      ended: async (_a, action) => void ended.push(action),
    }),
    iceServers: () => [],
    qualityThresholds: { maxRttMs: 200, maxLossPercent: 1, maxJitterMs: 30 },
    maxConsumersPerRouter: opts.maxConsumersPerRouter ?? 500,
    statsIntervalMs: 1000,
    ...(opts.idleCloseMs !== undefined ? { idleCloseMs: opts.idleCloseMs } : {}),
  });
  const port = (app.server.address() as AddressInfo).port;
  const stack = { url: `http://127.0.0.1:${port}`, app, pool, signaling, ended };
  t.teardown(async () => {
    signaling.close();
    await app.close();
    const p = pool!;
    p.close();
    await p.waitForExit();
  });
  return stack;
}
