import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { type Meeting, meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { CheckScheduler } from '../../server/check/CheckScheduler.js';
import type { CheckJob, CheckTiming } from '../../server/check/checkJobs.js';
import { ReadinessService } from '../../server/check/ReadinessService.js';
import { DataServices } from '../../server/DataServices.js';
import { EmailChannel } from '../../server/notify/EmailChannel.js';
import { InAppChannel } from '../../server/notify/InAppChannel.js';
import { Notifier } from '../../server/notify/Notifier.js';
import { WebhookChannel } from '../../server/notify/WebhookChannel.js';
import { testLogger } from './logger.js';
import { startTestRedis } from './redis.js';

export const admin: Actor = { kind: 'admin', id: 'test', name: 'test' };
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export interface WebhookHit {
  headers: IncomingMessage['headers'];
  body: string;
  json: { id: string; kind: string; siteId?: string; title: string };
}

/** A local HTTP receiver for the webhook; `status` decides the answer (tests flip it). */
export async function startWebhookReceiver(t: Test) {
  const hits: WebhookHit[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (state.status < 300) hits.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.statusCode = state.status;
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, state };
}

export interface Mail {
  to: string[];
  raw: string;
}

/** A local SMTP sink: accepts everything, keeps the messages. */
export async function startSmtpSink(t: Test) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, mails };
}

export interface CheckStack {
  redisUrl: string;
  redis: Redis;
  prefix: string;
  data: DataServices;
  readiness: ReadinessService;
  inApp: InAppChannel;
  notifier: Notifier;
  webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  /** Creates (or re-creates, after close) the scheduler with the test timing. */
  startScheduler(extra?: { attempts?: number; backoffMs?: number }): Promise<CheckScheduler>;
  hookCalls: { kind: string; meetingId: string; at: number; noShows?: string[] }[];
}

/** Redis, the department's data, readiness, the notifier with local receivers; no media. */
export async function startCheckStack(
  t: Test,
  timing: Partial<CheckTiming>,
  opts: { redisUrl?: string } = {},
): Promise<CheckStack> {
  const redisUrl = opts.redisUrl ?? (await startTestRedis(t)).url;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const prefix = `diemcau:test-${randomUUID().slice(0, 8)}:`;
  const data = await DataServices.create({
    redis,
    prefix,
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    dataDir: `/tmp/diemcau-test-${randomUUID()}`,
  });
  const readiness = new ReadinessService({
    store: data.store,
    sites: data.sites,
    logger: testLogger,
  });
  const inApp = new InAppChannel(data.store);
  const webhook = await startWebhookReceiver(t);
  const smtp = await startSmtpSink(t);
  const notifier = new Notifier({
    store: data.store,
    logger: testLogger,
    channels: [
      inApp,
      new WebhookChannel({ url: webhook.url, secret: WEBHOOK_SECRET, timeoutMs: 2000 }),
      new EmailChannel({ smtpUrl: smtp.url, from: 'Điểm cầu <diemcau@localhost>' }),
    ],
  });
  const hookCalls: CheckStack['hookCalls'] = [];
  let current: CheckScheduler | undefined;
  const stack: CheckStack = {
    redisUrl,
    redis,
    prefix,
    data,
    readiness,
    inApp,
    notifier,
    webhook,
    smtp,
    hookCalls,
    async startScheduler(extra = {}) {
      current = await CheckScheduler.create({
        redisUrl,
        store: data.store,
        meetings: data.meetings,
        sites: data.sites,
        readiness,
        notifier,
        logger: testLogger,
        timing,
        attempts: extra.attempts ?? 4,
        backoffMs: extra.backoffMs ?? 200,
      });
      current.setHooks({
        windowOpened: (m) => void hookCalls.push({ kind: 'open', meetingId: m.id, at: Date.now() }),
        windowClosed: (m, noShows) =>
          void hookCalls.push({
            kind: 'close',
            meetingId: m.id,
            at: Date.now(),
            noShows: noShows.map((n) => n.siteId),
          }),
        recheck: (m) => void hookCalls.push({ kind: 'recheck', meetingId: m.id, at: Date.now() }),
      });
      return current;
    },
  };
  t.teardown(async () => {
    await current?.close();
    await notifier.close();
    await data.close();
    await redis.quit();
  });
  return stack;
}

let siteCounter = 0;

/** Creates sites and a meeting with the given times, then schedules it. */
export async function scheduledMeeting(
  stack: CheckStack,
  times: { checkAt: number; opensAt: number; closesAt?: number },
  siteCount = 2,
): Promise<Meeting> {
  const { data } = stack;
  const main = await data.sites.create(
    siteInputSchema.parse({ name: `Hội trường Sở ${++siteCounter}`, kind: 'main_hall' }),
    admin,
  );
  const sites = [];
  for (let i = 0; i < siteCount; i++) {
    sites.push(
      await data.sites.create(
        siteInputSchema.parse({
          name: `Phòng GD&ĐT số ${++siteCounter}`,
          kind: 'district_office',
          technician: {
            name: `Kỹ thuật viên ${siteCounter}`,
            email: `kt${siteCounter}@example.test`,
            phone: '0912345678',
          },
        }),
        admin,
      ),
    );
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const meeting = await data.meetings.create(
    meetingInputSchema.parse({
      title: 'Hội nghị giao ban trực tuyến tháng 11',
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(times.opensAt),
      closesAt: iso(times.closesAt ?? times.opensAt + 3600_000),
      checkAt: iso(times.checkAt),
      mainSite: { siteId: main.id },
      sites: sites.map((s) => ({ siteId: s.id, expectedCount: 12 })),
    }),
    admin,
  );
  return data.meetings.transition(meeting.id, 'schedule', admin);
}

export type { CheckJob };
