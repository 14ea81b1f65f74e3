import t from 'tap';
import {
  meetingCheckThresholdsSchema,
  queueText,
  thresholdsFor,
} from '../../protocol/check/queue.js';
import type { MeetingInput } from '../../protocol/meetings.js';
import { vietnamParts } from '../../protocol/time.js';
import { CheckQueue, positionsOf } from '../../server/check/CheckQueue.js';
import { defaultCheckLimit } from '../../server/check/CheckWaves.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { buildTestApi, createHoaBinhSites, keysUnder } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * The check queue's rules against a real Redis (no media: the waves with real WebRTC are in
 * check-waves.test.ts), and a meeting's own thresholds through the meeting API.
 */

const redis = await startTestRedis(t);

t.test('the queue: limit, first come first served, returning sites, leases', async (t) => {
  const api = await buildTestApi(t, redis.url);
  let now = Date.now();
  const q = new CheckQueue(api.services.store, () => now);
  const m = 'm1';
  const sites = ['a', 'b', 'c', 'd', 'e', 'f'];
  t.equal(await q.arrive(m, 'a'), 'none', 'no queue before the window');
  t.same((await q.pump(m)).granted, [], 'nothing to give');
  await q.open(m, {
    kind: 'window',
    limit: 2,
    sites: sites.slice(0, 5),
    closesAtMs: now + 3600_000,
    defaultMs: 20_000,
    leaseMs: 60_000,
  });
  t.same((await q.pump(m)).granted, ['a', 'b'], 'the first two in line');
  t.same((await q.pump(m)).granted, [], 'no more than the limit');
  // f connects late: it goes to the end. c drops out: skipped, keeps its place.
  t.equal(await q.arrive(m, 'f'), 'queued');
  await q.away(m, 'c');
  let snap = (await q.snapshot(m))!;
  t.same(
    [...positionsOf(snap)].map(([s, p]) => [s, p.position, p.etaMs]),
    [
      ['d', 1, 20_000],
      ['e', 2, 20_000],
      ['f', 3, 40_000],
    ],
    'places count the connected sites ahead, in waves of the limit',
  );
  await q.finish(m, 'a', 10_000);
  t.same((await q.pump(m)).granted, ['d'], 'c is away: d goes');
  await q.arrive(m, 'c');
  await q.finish(m, 'b', 30_000);
  t.same((await q.pump(m)).granted, ['c'], 'c came back and had kept its place ahead of e');
  snap = (await q.snapshot(m))!;
  t.equal(snap.meanMs, 20_000, 'the mean of the finished checks');
  t.same([...snap.done].sort(), ['a', 'b']);
  // A site whose page left in the middle of its check goes back in line at its own place.
  await q.away(m, 'd');
  t.notOk(await q.isActive(m, 'd'));
  t.same((await q.pump(m)).granted, ['e'], 'its slot goes on');
  await q.arrive(m, 'd');
  await q.finish(m, 'c', 20_000);
  t.same((await q.pump(m)).granted, ['d'], 'd is first again');
  // A site with a verdict stays done on reconnect; asking again puts it at the end.
  t.equal(await q.arrive(m, 'a'), 'done');
  t.equal(await q.arrive(m, 'a', true), 'queued');
  snap = (await q.snapshot(m))!;
  t.same(
    snap.waiting.map((w) => w.siteId),
    ['f', 'a'],
    'asked again: at the end',
  );
  // A slot not given back within its lease is taken back.
  now += 61_000;
  const { granted, expired } = await q.pump(m);
  t.same(expired.sort(), ['d', 'e'], 'hung checks lose their slot');
  t.same(granted, ['f', 'a']);
  // The window ends: nothing left in Redis.
  await q.close(m);
  t.same(await keysUnder(api.redis, `${api.prefix}meeting:${m}:check-queue`), []);
});

t.test('the limit from the capacity, and the waiting text as data', async (t) => {
  const th = { minUplinkKbps: 1200, minDownlinkKbps: 1500 };
  t.equal(defaultCheckLimit({ workers: 2, workerBudgetKbps: 20_000, ...th }), 10);
  t.equal(defaultCheckLimit({ workers: 1, workerBudgetKbps: 1000, ...th }), 1, 'at least one');
  t.same(queueText({ position: 37, etaMs: 4 * 60_000 }), {
    vi: 'Đang chờ lượt kiểm tra: thứ 37, khoảng 4 phút',
    en: 'Waiting for a check slot: position 37, about 4 minutes',
  });
});

t.test('a meeting has its own check thresholds, defaulting to the config', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const d = vietnamParts(Date.now() + 10 * 86_400_000);
  const input: MeetingInput = hoaBinhBriefing({
    year: d.year,
    month: d.month,
    day: d.day,
    letterDate: '2011-10-21',
    mainSiteId: main.id,
    districtSiteIds: districts.slice(0, 1).map((s) => s.id),
  });
  const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown) =>
    api.app.inject({
      method,
      url,
      headers: { cookie: api.adminCookie },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  const bad = await call('POST', '/api/meetings', {
    ...input,
    checkThresholds: { minUplinkKbps: -5, maxRtt: 100 },
  });
  t.equal(bad.statusCode, 400);
  const paths = ((bad.json().fields ?? []) as { path: string }[]).map((f) => f.path);
  t.ok(
    paths.some((p) => p.endsWith('checkThresholds.minUplinkKbps')),
    `the field is named (${paths.join(', ')})`,
  );
  t.ok(
    paths.some((p) => p.endsWith('checkThresholds')),
    'an unknown threshold is refused',
  );

  // A one-site rehearsal accepts less than the service's defaults.
  const own = { minUplinkKbps: 600, minDownlinkKbps: 800, maxRttMs: 300 };
  const created = await call('POST', '/api/meetings', { ...input, checkThresholds: own });
  t.equal(created.statusCode, 201, created.body);
  const meeting = created.json();
  t.same(meeting.checkThresholds, own);
  const config = {
    maxRttMs: 200,
    maxLossPercent: 1,
    maxJitterMs: 30,
    minUplinkKbps: 1200,
    minDownlinkKbps: 1500,
  };
  t.same(thresholdsFor(config, meeting.checkThresholds), {
    maxRttMs: 300,
    maxLossPercent: 1,
    maxJitterMs: 30,
    minUplinkKbps: 600,
    minDownlinkKbps: 800,
  });
  // Left out of a PUT, they are cleared: the config applies again.
  const {
    id,
    version,
    state: _s,
    checkAtDefault: _d,
    attachments: _a,
    createdAt: _c,
    updatedAt: _u,
    checkThresholds: _t,
    ...fields
  } = meeting;
  const put = await call('PUT', `/api/meetings/${id}`, { ...fields, version });
  t.equal(put.statusCode, 200, put.body);
  t.equal(put.json().checkThresholds, undefined);
  t.same(thresholdsFor(config, put.json().checkThresholds), config);
  t.notOk(meetingCheckThresholdsSchema.safeParse({ maxLossPercent: 101 }).success);
});
