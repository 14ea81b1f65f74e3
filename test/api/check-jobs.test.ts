import t from 'tap';
import { type Meeting, meetingInputSchema } from '../../protocol/meetings.js';
import { signWebhook } from '../../server/notify/WebhookChannel.js';
import { waitFor } from '../helpers/browser.js';
import {
  admin,
  type CheckStack,
  scheduledMeeting,
  startCheckStack,
  WEBHOOK_SECRET,
} from '../helpers/checkStack.js';
import { startTestRedis } from '../helpers/redis.js';

// Short offsets instead of days: reminders 2 s and 1 s before the check, a 3 s window,
// the re-check 2 s before the opening. Real Redis, real BullMQ, real HTTP and SMTP receivers.
const timing = {
  reminderLeadsMs: [2000, 1000],
  windowMs: () => 3000,
  recheckLeadMs: 2000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function move(stack: CheckStack, m: Meeting, times: { checkAt: number; opensAt: number }) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const input = meetingInputSchema.parse({
    title: m.title,
    organizer: m.organizer,
    opensAt: iso(times.opensAt),
    closesAt: iso(times.opensAt + 3600_000),
    checkAt: iso(times.checkAt),
    mainSite: m.mainSite,
    sites: m.sites,
  });
  return stack.data.meetings.update(m.id, input, m.version, admin);
}

function keysOf(stack: CheckStack, meetingId: string, kind: string) {
  return stack.webhook.hits.filter((h) => h.json.kind === kind && h.body.includes(meetingId));
}

t.test('check jobs against a real Redis and BullMQ', async (t) => {
  const redis = await startTestRedis(t);

  await t.test('reminders, window open and close, no-show escalation, re-check', async (t) => {
    const stack = await startCheckStack(t, timing, { redisUrl: redis.url });
    const scheduler = await stack.startScheduler();
    const t0 = Date.now();
    const m = await scheduledMeeting(stack, { checkAt: t0 + 3000, opensAt: t0 + 9000 }, 3);
    await scheduler.settled();
    const [a, b, c] = m.sites.map((s) => s.siteId) as [string, string, string];
    t.equal(
      (await stack.readiness.find(m.id, a))?.state,
      'invited',
      'scheduling invites the sites',
    );

    // Idempotent: scheduling the same meeting again adds nothing.
    const before = await scheduler.counts();
    await scheduler.sync(m);
    t.same(await scheduler.counts(), before, 'a second sync adds no job');
    t.equal(before.delayed, 3 * 2 + 3, '6 reminders, window open, window close, re-check');

    await waitFor(() => stack.smtp.mails.length >= 6, 8000, 'six reminder e-mails');
    const site = await stack.data.sites.get(a);
    t.ok(
      stack.smtp.mails.some((mail) => mail.to.includes(site.technician!.email!)),
      'the technician gets the e-mail',
    );
    t.equal(keysOf(stack, m.id, 'reminder').length, 6, 'six signed webhook reminders');
    const hit = keysOf(stack, m.id, 'reminder')[0]!;
    t.equal(
      hit.headers['x-diemcau-signature'],
      signWebhook(WEBHOOK_SECRET, String(hit.headers['x-diemcau-timestamp']), hit.body),
      'the webhook signature covers timestamp and body',
    );
    const inApp = await stack.inApp.list(m.id, a);
    t.equal(inApp.length, 2, 'two in-app reminders for the site');
    t.match(
      inApp[0]!.title,
      { vi: /Nhắc kiểm tra kỹ thuật/, en: /Technical check reminder/ },
      'in both languages',
    );

    // Site a connects and checks; b connects and does nothing; c never comes.
    await stack.readiness.setOnline(m.id, a, true);
    await stack.readiness.setOnline(m.id, b, true);
    const open = (await waitFor(
      () => stack.hookCalls.find((h) => h.kind === 'open' && h.meetingId === m.id),
      5000,
      'window open',
    ))!;
    t.ok(open.at - (t0 + 3000) < 1000, `window opened on time (+${open.at - t0 - 3000} ms)`);
    t.equal((await stack.data.meetings.get(m.id)).state, 'checking', 'meeting state is checking');
    t.equal(await stack.readiness.assertCheckAllowed(m.id, a), 'window', 'checks are accepted');
    await stack.readiness.beginCheck(m.id, a);
    await stack.readiness.recordCheck(m.id, a, fakeResult('pass'));

    const close = (await waitFor(
      () => stack.hookCalls.find((h) => h.kind === 'close' && h.meetingId === m.id),
      6000,
      'window close',
    ))!;
    t.same(close.noShows?.sort(), [b, c].sort(), 'b and c are no-shows');
    t.equal((await stack.readiness.find(m.id, a))?.state, 'ready', 'a is ready');
    t.equal((await stack.readiness.find(m.id, c))?.state, 'no-show');
    t.match((await stack.readiness.find(m.id, b))?.note?.en, /Online but no check/);
    await waitFor(() => keysOf(stack, m.id, 'no-show').length === 2, 3000, 'escalations');
    t.equal(keysOf(stack, m.id, 'no-show').length, 2, 'each no-show escalated once');
    t.equal((await stack.data.meetings.get(m.id)).state, 'scheduled', 'back to scheduled');
    await t.rejects(
      stack.readiness.assertCheckAllowed(m.id, a),
      { code: 'conflict' },
      'results refused outside the window',
    );
    const history = await stack.readiness.history(m.id);
    t.same(
      history.filter((h) => h.siteId === a).map((h) => h.to),
      ['invited', 'online', 'checking', 'ready'],
      'history of site a',
    );

    const recheck = (await waitFor(
      () => stack.hookCalls.find((h) => h.kind === 'recheck' && h.meetingId === m.id),
      4000,
      're-check',
    ))!;
    t.ok(recheck.at - (t0 + 7000) < 1000, 're-check 2 s before the opening');
    t.equal((await stack.readiness.window(m.id))?.kind, 'recheck', 'a re-check window is open');
    const summary = await stack.readiness.summary(await stack.data.meetings.get(m.id));
    t.equal(summary.counts.ready, 1);
    t.equal(summary.counts['no-show'], 2);
    t.ok(summary.problems.length >= 2, 'problems listed');
  });

  await t.test('rescheduling moves every job; cancelling removes them', async (t) => {
    const stack = await startCheckStack(t, timing, { redisUrl: redis.url });
    const scheduler = await stack.startScheduler();
    const t0 = Date.now();
    let m = await scheduledMeeting(stack, { checkAt: t0 + 60_000, opensAt: t0 + 120_000 }, 2);
    await scheduler.settled();
    const oldIds = await stack.redis.smembers(stack.data.store.keys.meetingJobs(m.id));
    t.equal(oldIds.length, 7);
    t.ok(
      oldIds.every((id) => !id.includes(':') && !/^\d+$/.test(id)),
      'job ids are valid',
    );

    m = await move(stack, m, { checkAt: t0 + 2500, opensAt: t0 + 30_000 });
    await scheduler.settled();
    const newIds = await stack.redis.smembers(stack.data.store.keys.meetingJobs(m.id));
    t.equal(newIds.filter((id) => oldIds.includes(id)).length, 0, 'every job id changed');
    for (const id of oldIds)
      t.notOk(await scheduler.queue.getJob(id), `old job removed: ${id.slice(0, 20)}`);
    await waitFor(
      () => keysOf(stack, m.id, 'reminder').length === 4,
      5000,
      'reminders at the new time',
    );
    await waitFor(
      () => stack.hookCalls.some((h) => h.kind === 'open' && h.meetingId === m.id),
      4000,
      'open',
    );

    // A second meeting is cancelled before anything fires.
    const t1 = Date.now();
    const other = await scheduledMeeting(stack, { checkAt: t1 + 2000, opensAt: t1 + 20_000 }, 2);
    await scheduler.settled();
    await stack.data.meetings.transition(other.id, 'cancel', admin);
    await scheduler.settled();
    t.equal(
      await stack.redis.exists(stack.data.store.keys.meetingJobs(other.id)),
      0,
      'job set removed',
    );
    await sleep(3000);
    t.equal(keysOf(stack, other.id, 'reminder').length, 0, 'no reminder after cancelling');
    t.notOk(
      stack.hookCalls.some((h) => h.meetingId === other.id),
      'no window for it either',
    );
  });

  await t.test(
    'restart in the middle of the window loses nothing, sends nothing twice',
    async (t) => {
      const stack = await startCheckStack(t, timing, { redisUrl: redis.url });
      let scheduler = await stack.startScheduler();
      const t0 = Date.now();
      const m = await scheduledMeeting(stack, { checkAt: t0 + 2500, opensAt: t0 + 20_000 }, 2);
      await scheduler.settled();
      await waitFor(() => stack.hookCalls.some((h) => h.kind === 'open'), 5000, 'window open');
      const remindersBefore = keysOf(stack, m.id, 'reminder').length;
      t.equal(remindersBefore, 4, 'reminders went out before the window');
      await scheduler.close();
      t.pass('scheduler closed during the window');
      await sleep(3500); // the close time passes while nothing runs
      t.notOk(
        stack.hookCalls.some((h) => h.kind === 'close'),
        'nothing closed while down',
      );
      scheduler = await stack.startScheduler();
      await scheduler.resyncAll(); // what the app does on start: re-adds nothing that ran
      await waitFor(
        () => stack.hookCalls.some((h) => h.kind === 'close'),
        5000,
        'window close after restart',
      );
      await waitFor(() => keysOf(stack, m.id, 'no-show').length === 2, 3000, 'escalations');
      await sleep(500);
      t.equal(keysOf(stack, m.id, 'reminder').length, 4, 'no reminder sent twice');
      t.equal(keysOf(stack, m.id, 'no-show').length, 2, 'no escalation sent twice');
      t.equal(stack.smtp.mails.length, 4, 'four e-mails in all');
    },
  );

  await t.test('retries resend only what failed; permanent failures wait for IT', async (t) => {
    const stack = await startCheckStack(t, timing, { redisUrl: redis.url });
    const scheduler = await stack.startScheduler({ attempts: 4, backoffMs: 300 });
    stack.webhook.state.status = 503;
    const t0 = Date.now();
    const m = await scheduledMeeting(stack, { checkAt: t0 + 1500, opensAt: t0 + 30_000 }, 1);
    await scheduler.settled();
    await waitFor(() => stack.smtp.mails.length >= 1, 4000, 'first e-mail');
    await sleep(400);
    stack.webhook.state.status = 200;
    await waitFor(() => keysOf(stack, m.id, 'reminder').length >= 1, 5000, 'webhook after retry');
    await sleep(1000);
    t.equal(stack.smtp.mails.length, 1, 'the e-mail was not re-sent by the retry');
    t.equal(keysOf(stack, m.id, 'reminder').length, 1, 'webhook delivered once');
    t.equal((await stack.inApp.list(m.id)).filter((n) => n.kind === 'reminder').length, 1);

    // A 400 is permanent: no retries, visible to IT, retried by hand.
    stack.webhook.state.status = 400;
    const t1 = Date.now();
    const m2 = await scheduledMeeting(stack, { checkAt: t1 + 1200, opensAt: t1 + 30_000 }, 1);
    await scheduler.settled();
    const failed = (await waitFor(
      async () => (await scheduler.failedJobs()).failed.find((f) => f.id.includes(m2.id)),
      5000,
      'failed job',
    ))!;
    t.equal(failed.attemptsMade, 1, 'no retry after a permanent failure');
    t.match(failed.failedReason, /400/);
    stack.webhook.state.status = 200;
    await scheduler.retry(failed.id);
    await waitFor(
      () => keysOf(stack, m2.id, 'reminder').length === 1,
      5000,
      'sent after IT retried',
    );
    await t.rejects(scheduler.retry('reminder-nope'), { code: 'not_found' });
  });
});

function fakeResult(verdict: 'pass' | 'degraded' | 'fail') {
  const now = new Date().toISOString();
  return {
    checkId: 'c1',
    kind: 'window' as const,
    startedAt: now,
    finishedAt: now,
    durationMs: 1000,
    verdict,
    reasons: [],
    figures: {
      signalingMs: 40,
      iceDtlsMs: 80,
      candidateType: 'host' as const,
      protocol: 'udp' as const,
      uplink: { kbps: 1800, lossPercent: 0, jitterMs: 3, packets: 900, durationMs: 5000 },
      downlink: {
        kbps: 1700,
        lossPercent: 0,
        jitterMs: 4,
        rttMs: 2,
        framesDecoded: 140,
        durationMs: 5000,
      },
      micLevel: 0.2,
      cameraLuma: 90,
      speakersConfirmed: true,
    },
  };
}
