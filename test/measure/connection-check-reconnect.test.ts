import t from 'tap';
import type { CheckOutcome } from '../../web/client/ConnectionCheck.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { startEndpoint } from '../helpers/endpoints.js';
import { noiseVideo } from '../helpers/fakeVideo.js';
import { startLiveCheckStack } from '../helpers/liveCheckStack.js';

// A page whose socket drops in the middle of its check (as a page starved of CPU misses the
// server's heartbeat) reconnects by itself; the server keeps the check for it, the page resumes
// it under the same id and finishes it: one stored result, with the drop counted. Real Redis,
// worker and Chromium; the drop is forced by closing the page's engine.io connection.
t.test('a reconnect in the middle of a check keeps the check', async (t) => {
  const stack = await startLiveCheckStack(t, { siteCount: 1 });
  const [s1] = stack.meeting.sites.map((s) => s.siteId) as [string];
  const browser = await launchChromium(t, [`--use-file-for-fake-video-capture=${noiseVideo(t)}`]);
  const site = await startEndpoint(browser, stack.url, 'site1', {
    token: stack.tokens.sites[s1]!,
    camera: { width: 640, height: 360 },
    microphone: true,
  });
  await stack.checks.readiness.openWindow(stack.meeting.id, 'window', Date.now() + 120_000);
  const session = stack.signaling.session(stack.meeting.id)!;

  const started = Date.now();
  await site.page.evaluate(() => {
    const w = window as unknown as { pending: Promise<unknown> };
    w.pending = window.harness.runCheck({ measureMs: 6000 }).then(
      (outcome) => ({ outcome }),
      (err: Error) => ({ error: err.message }),
    );
  });
  await waitFor(() => session.check?.holds(s1), 10_000, 'check begun');
  // Into the measurement (loopback set up, warm-up of 1.8 s over), then the socket drops.
  await waitFor(
    async () => (await site.received(`site:${s1}`, 'camera')).framesDecoded > 30,
    15_000,
    'looped-back video decoding',
  );
  await new Promise((r) => setTimeout(r, 2500));
  await site.page.evaluate(() => window.harness.client()!.socket.io.engine.close());
  const droppedAt = Date.now();
  await waitFor(
    async () => (await stack.checks.readiness.find(stack.meeting.id, s1))?.online === false,
    10_000,
    'server saw the page go',
  );
  t.ok(session.check?.holds(s1), 'the check is kept while the page is away');

  const answer = (await waitFor(
    () =>
      site.page.evaluate(
        () => (window as unknown as { pending: Promise<unknown> }).pending,
      ) as Promise<{ outcome?: CheckOutcome; error?: string }>,
    90_000,
    'check finished',
  ))!;
  t.notOk(answer.error, `no error: ${answer.error ?? ''}`);
  const result = answer.outcome!.result;
  const f = result.figures;
  t.comment(
    `check took ${Date.now() - started} ms (dropped after ${droppedAt - started} ms): verdict ${result.verdict}, grade ${result.assessment?.grade}; reasons ${result.reasons.map((r) => `${r.code}/${r.severity}`).join(', ')}; drops ${f.drops}, page lag ${f.pageLagMs} ms; up ${f.uplink.kbps} kbps, down ${f.downlink.kbps} kbps, ${f.downlink.framesDecoded} frames`,
  );
  t.equal(f.drops, 1, 'the drop is counted on the same check');
  t.notOk(f.interrupted, 'measured to the end after the reconnect');
  t.ok(f.uplink.packets > 0 && f.downlink.framesDecoded > 0, 'media measured after it');
  const codes = result.reasons.map((r) => r.code);
  t.notOk(
    codes.some((c) => ['uplink_low', 'downlink_low', 'no_media', 'no_video_decoded'].includes(c)),
    'no bandwidth or media failure',
  );
  // The page kept time: a drop it did not cause is the connection's, as a warning.
  if ((f.pageLagMs ?? 0) < 1000) {
    const lost = result.reasons.find((r) => r.code === 'connection_lost');
    t.equal(lost?.severity, 'degraded', 'the drop is reported as a warning');
    t.equal(result.verdict, 'degraded');
  } else t.ok(codes.includes('computer_slow'), 'a page held up that long: the computer named');
  const stored = await stack.checks.readiness.find(stack.meeting.id, s1);
  t.equal(stored?.lastCheck?.checkId, result.checkId, 'one stored result, the resumed check');
  t.equal(stored?.online, true, 'online again');
  t.notOk(session.check?.holds(s1), 'the check is over');
});
