import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { configSchema } from '../../config/index.js';
import { WorkerPool } from '../../media/WorkerPool.js';
import type { Actor } from '../../protocol/auth.js';
import { type Meeting, meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { CheckServices } from '../../server/check/CheckServices.js';
import { DataServices } from '../../server/DataServices.js';
import { buildHttpApp, type HttpApp } from '../../server/http/buildHttpApp.js';
import {
  createSessionDirectory,
  createSignaling,
  SignalingAccess,
} from '../../server/live/createSignaling.js';
import { connectRedis } from '../../server/redis/connectRedis.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import { testLogger } from './logger.js';
import { startTestRedis } from './redis.js';

export const admin: Actor = { kind: 'admin', id: 'test', name: 'test' };

export interface LiveCheckStack {
  url: string;
  app: HttpApp;
  data: DataServices;
  checks: CheckServices;
  signaling: SignalingServer;
  pool: WorkerPool;
  meeting: Meeting;
  /** Join tokens: technician per site id, chair. */
  tokens: { sites: Record<string, string>; chair: string };
}

let nextPort = 44000 + (process.pid % 100) * 20;

/**
 * The whole check path as the Service composes it (real Redis, data, checks, mediasoup workers,
 * signaling with real join tokens, the built pages) and one scheduled meeting with `siteCount`
 * sites. `httpHost`/`listenIp`/`announcedAddress` let a test put the browser in a namespace.
 */
export async function startLiveCheckStack(
  t: Test,
  opts: {
    siteCount: number;
    httpHost?: string;
    listenIp?: string;
    announcedAddress?: string;
    rtcPort?: number;
  },
): Promise<LiveCheckStack> {
  const { url: redisUrl } = await startTestRedis(t);
  const redis = await connectRedis(redisUrl, testLogger);
  const data = await DataServices.create({
    redis,
    prefix: `diemcau:test-${randomUUID().slice(0, 8)}:`,
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    dataDir: mkdtempSync(join(tmpdir(), 'diemcau-data-')),
  });
  const config = configSchema.parse({});
  nextPort += 2;
  const rtcPort = opts.rtcPort ?? nextPort;
  const pool = await WorkerPool.create({
    numWorkers: 1,
    listenIp: opts.listenIp ?? '127.0.0.1',
    announcedAddress: opts.announcedAddress ?? '127.0.0.1',
    rtcPortBase: rtcPort,
    logLevel: 'warn',
    logger: testLogger,
  });
  const app = await buildHttpApp({
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    webRoot: join(process.cwd(), 'web', 'dist'),
    isShuttingDown: () => false,
  });
  const access = new SignalingAccess(data, config);
  const sessions = createSessionDirectory({
    httpServer: app.server,
    access,
    config,
    logger: testLogger,
  });
  const checks = await CheckServices.create({
    data,
    redisUrl,
    config,
    logger: testLogger,
    sessions,
  });
  const signaling = createSignaling({
    directory: sessions,
    access,
    pool,
    data,
    config,
    logger: testLogger,
    checkHooks: (id) => checks.hooksFor(id),
  });
  await app.listen({ host: opts.httpHost ?? '127.0.0.1', port: 0 });
  t.teardown(async () => {
    signaling.close();
    await app.close();
    await checks.close();
    pool.close();
    await pool.waitForExit();
    await data.close();
    await redis.quit().catch(() => redis.disconnect());
  });

  const main = await data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    admin,
  );
  const sites = [];
  for (let i = 1; i <= opts.siteCount; i++) {
    sites.push(
      await data.sites.create(
        siteInputSchema.parse({
          name: `Phòng GD&ĐT điểm ${i}`,
          kind: 'district_office',
          technician: { name: `Kỹ thuật viên ${i}`, phone: '0912345678' },
        }),
        admin,
      ),
    );
  }
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến – kiểm tra kỹ thuật',
      organizer: 'Sở GD&ĐT',
      opensAt: iso(now + 2 * 86_400_000),
      closesAt: iso(now + 2 * 86_400_000 + 3600_000),
      checkAt: iso(now + 86_400_000),
      mainSite: { siteId: main.id },
      sites: sites.map((s) => ({ siteId: s.id, expectedCount: 15 })),
    }),
    admin,
  );
  const meeting = await data.meetings.transition(created.id, 'schedule', admin);
  await checks.scheduler.settled();
  const tokens: LiveCheckStack['tokens'] = { sites: {}, chair: '' };
  for (const s of sites) {
    tokens.sites[s.id] = (
      await data.access.issueLink(meeting.id, { role: 'technician', siteId: s.id }, admin)
    ).token;
  }
  tokens.chair = (await data.access.issueLink(meeting.id, { role: 'chair' }, admin)).token;
  const host = opts.httpHost && opts.httpHost !== '0.0.0.0' ? opts.httpHost : '127.0.0.1';
  return {
    url: `http://${host}:${(app.server.address() as AddressInfo).port}`,
    app,
    data,
    checks,
    signaling,
    pool,
    meeting,
    tokens,
  };
}
