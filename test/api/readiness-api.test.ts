import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configSchema } from '../../config/index.js';
import type { CheckResult } from '../../protocol/check/index.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { SESSION_COOKIE } from '../../server/auth/AdminAccounts.js';
import { CheckServices } from '../../server/check/CheckServices.js';
import { readinessRoutes } from '../../server/check/readinessRoutes.js';
import { DataServices } from '../../server/DataServices.js';
import { buildHttpApp } from '../../server/http/buildHttpApp.js';
import { connectRedis } from '../../server/redis/connectRedis.js';
import { apiRoutes } from '../../server/routes/api.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

const admin = { kind: 'admin' as const, id: 'a', name: 'admin' };

t.test('readiness API: board, checklist, report, check-now, jobs; bad input refused', async (t) => {
  const { url } = await startTestRedis(t);
  const redis = await connectRedis(url, testLogger);
  const data = await DataServices.create({
    redis,
    prefix: `diemcau:test-${randomUUID()}:`,
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    dataDir: mkdtempSync(join(tmpdir(), 'diemcau-data-')),
  });
  const config = configSchema.parse({});
  const checks = await CheckServices.create({ data, redisUrl: url, config, logger: testLogger });
  const app = await buildHttpApp({
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    isShuttingDown: () => false,
  });
  await app.register(apiRoutes, {
    services: data,
    secureCookies: false,
    publicUrl: 'http://127.0.0.1',
  });
  await app.register(readinessRoutes, { services: data, checks });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await checks.close();
    await data.close();
    await redis.quit();
  });

  await data.access.accounts.createUser('admin', 'mat-khau-rat-dai-2011', admin);
  const { sessionId } = await data.access.accounts.login('admin', 'mat-khau-rat-dai-2011');
  const cookie = `${SESSION_COOKIE}=${sessionId}`;
  const main = await data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở', kind: 'main_hall' }),
    admin,
  );
  const a = await data.sites.create(
    siteInputSchema.parse({
      name: 'Phòng GD&ĐT <script>alert(1)</script>',
      kind: 'district_office',
      technician: { name: 'Nguyễn Văn Kỹ', phone: '0912 345 678', email: 'ky@example.test' },
    }),
    admin,
  );
  const b = await data.sites.create(
    siteInputSchema.parse({ name: 'Phòng GD&ĐT Mai Châu', kind: 'district_office' }),
    admin,
  );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến',
      organizer: 'Sở GD&ĐT',
      opensAt: iso(now + 3 * 86_400_000),
      closesAt: iso(now + 3 * 86_400_000 + 3600_000),
      checkAt: iso(now + 2 * 86_400_000),
      mainSite: { siteId: main.id },
      sites: [{ siteId: a.id, expectedCount: 20 }, { siteId: b.id }],
    }),
    admin,
  );
  const meeting = await data.meetings.transition(created.id, 'schedule', admin);
  await checks.scheduler.settled();
  const tech = await data.access.issueLink(meeting.id, { role: 'technician', siteId: a.id }, admin);
  const chair = await data.access.issueLink(meeting.id, { role: 'chair' }, admin);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  const board = await app.inject({
    url: `/api/meetings/${meeting.id}/readiness`,
    headers: { cookie },
  });
  t.equal(board.statusCode, 200);
  t.equal(board.json().counts.invited, 2, 'both sites invited when scheduled');
  t.equal((await checks.scheduler.counts()).delayed, 2 * 2 + 3, 'jobs queued');
  t.equal(
    (
      await app.inject({
        url: `/api/meetings/${meeting.id}/readiness`,
        headers: bearer(chair.token),
      })
    ).statusCode,
    200,
    'the chair sees the board',
  );
  t.equal(
    (
      await app.inject({
        url: `/api/meetings/${meeting.id}/readiness`,
        headers: bearer(tech.token),
      })
    ).statusCode,
    403,
    'a technician does not',
  );

  // Results outside a window are refused and nothing is stored.
  const hooks = checks.hooksFor(meeting.id);
  await t.rejects(hooks.allowed(a.id), { code: 'conflict', text: { vi: /Chưa đến giờ kiểm tra/ } });

  const checklist = {
    items: {
      cameraFraming: true,
      microphone: true,
      display: true,
      backupPower: false,
      banner: true,
      seats: true,
    },
    seats: 18,
    note: 'Máy phát điện đang sửa <b>',
  };
  const put = (siteId: string, headers: Record<string, string>, payload: unknown) =>
    app.inject({
      method: 'PUT',
      url: `/api/meetings/${meeting.id}/sites/${siteId}/checklist`,
      headers,
      payload: payload as object,
    });
  t.equal(
    (await put(b.id, bearer(tech.token), checklist)).statusCode,
    403,
    "another site's checklist refused",
  );
  const bad = await put(a.id, bearer(tech.token), { items: { cameraFraming: 'yes' } });
  t.equal(bad.statusCode, 400, 'malformed checklist refused');
  t.match(bad.json().message.vi, /items/);
  t.notOk((await checks.readiness.find(meeting.id, a.id))?.checklist, 'nothing stored');
  const ok = await put(a.id, bearer(tech.token), checklist);
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().checklist.items.backupPower, false);

  // An on-demand allowance (IT's check now) admits a result.
  await hooks.requested(a.id);
  t.equal(await hooks.allowed(a.id), 'on-demand');
  await hooks.begun(a.id);
  const result: CheckResult = {
    checkId: 'c1',
    kind: 'on-demand',
    startedAt: iso(now),
    finishedAt: iso(now + 12_000),
    durationMs: 12_000,
    verdict: 'pass',
    reasons: [],
    figures: {
      signalingMs: 35,
      iceDtlsMs: 70,
      candidateType: 'host',
      protocol: 'udp',
      uplink: { kbps: 1850, lossPercent: 0, jitterMs: 3, packets: 1400, durationMs: 8000 },
      downlink: {
        kbps: 1800,
        lossPercent: 0,
        jitterMs: 4,
        rttMs: 2,
        framesDecoded: 230,
        durationMs: 8000,
      },
      micLevel: 0.1,
      cameraLuma: 100,
      speakersConfirmed: true,
    },
  };
  const stored = await hooks.completed(a.id, result);
  t.equal(stored.state, 'degraded', 'a passing check with backup power missing is degraded');

  const summary = (
    await app.inject({ url: `/api/meetings/${meeting.id}/readiness`, headers: { cookie } })
  ).json();
  t.same(summary.counts.degraded, 1);
  t.ok(
    summary.problems.some(
      (p: { kind: string; message: { vi: string; en: string } }) =>
        p.kind === 'checklist' &&
        /Nguồn điện dự phòng/.test(p.message.vi) &&
        /Backup power/.test(p.message.en),
    ),
    'problem listed',
  );

  const report = await app.inject({
    url: `/api/meetings/${meeting.id}/readiness/report`,
    headers: { cookie },
  });
  t.equal(report.statusCode, 200);
  t.match(report.headers['content-type'], /text\/html; charset=utf-8/);
  t.match(report.body, /BÁO CÁO SẴN SÀNG CÁC ĐIỂM CẦU/);
  // The renderer escapes `<` and `&` in text (enough: `>` alone opens nothing).
  t.match(
    report.body,
    /Phòng GD&amp;ĐT &lt;script(&gt;|>)alert\(1\)&lt;\/script(&gt;|>)/,
    'names escaped',
  );
  t.notMatch(report.body, /<script>/);
  t.match(report.body, /Máy phát điện đang sửa &lt;b(&gt;|>)/);
  t.match(report.body, /0912 345 678/, 'technician contact');
  t.match(report.body, /1850 kbps/, 'figures');
  t.match(report.body, /Ghế \/ Seats: 18 \/ 20/);

  const history = (
    await app.inject({ url: `/api/meetings/${meeting.id}/readiness/history`, headers: { cookie } })
  ).json();
  t.same(
    history.entries
      .filter((e: { siteId: string }) => e.siteId === a.id)
      .map((e: { to: string }) => e.to),
    ['invited', 'checking', 'degraded'],
  );

  const now2 = await app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/checks`,
    headers: { cookie },
    payload: {},
  });
  t.same(now2.json(), { requested: [], offline: [a.id, b.id] }, 'check now: nobody connected');
  const notIn = await app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/checks`,
    headers: { cookie },
    payload: { siteId: main.id },
  });
  t.equal(notIn.statusCode, 404);
  const asTech = await app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/checks`,
    headers: bearer(tech.token),
    payload: {},
  });
  t.equal(asTech.statusCode, 403);

  const jobs = await app.inject({ url: '/api/jobs/failed', headers: { cookie } });
  t.equal(jobs.statusCode, 200);
  t.same(jobs.json().failed, []);
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/jobs/no-such-job/retry', headers: { cookie } }))
      .statusCode,
    404,
  );
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/jobs/a:b/retry', headers: { cookie } }))
      .statusCode,
    400,
  );

  // Cancelling removes the jobs.
  await data.meetings.transition(meeting.id, 'cancel', admin);
  await checks.scheduler.settled();
  t.equal((await checks.scheduler.counts()).delayed, 0, 'cancel removed every job');
});
