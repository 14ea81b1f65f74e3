import { observer, type types } from 'mediasoup';
import t, { type Test } from 'tap';
import type { CheckOutcome } from '../../web/client/ConnectionCheck.js';
import { launchChromium } from '../helpers/browser.js';
import { startEndpoint } from '../helpers/endpoints.js';
import { noiseVideo } from '../helpers/fakeVideo.js';
import { type Impairment, startImpairedRelay } from '../helpers/impairedRelay.js';
import { startLiveCheckStack } from '../helpers/liveCheckStack.js';

// Loss and delay on the media path (tc netem is not in this kernel): the WebRtcServer listens on
// 127.0.0.2 and announces 127.0.0.1, where a user-space relay drops and delays datagrams per
// direction. Signaling (socket.io on 127.0.0.1) is not impaired. One site per case, in turn.
// A 320×180 noise picture fills the check's target bitrate without the encoder's CPU showing up
// as jitter on a busy machine.
const measureMs = Number(process.env.CHECK_MEASURE_MS ?? 6000);

// Every video producer and consumer of the run, to explain a stall from the SFU's side.
const videoProducers: types.Producer[] = [];
const videoConsumers: types.Consumer[] = [];
observer.on('newworker', (w) =>
  w.observer.on('newrouter', (r) =>
    r.observer.on('newtransport', (tr) => {
      tr.observer.on('newproducer', (x) => x.kind === 'video' && videoProducers.push(x));
      tr.observer.on('newconsumer', (x) => x.kind === 'video' && videoConsumers.push(x));
    }),
  ),
);

/** NACK/RTX/PLI figures of the latest video producer and its looped-back consumer. */
async function sfuVideoStats(): Promise<string> {
  const producer = videoProducers.filter((p) => !p.closed).at(-1);
  const consumer = videoConsumers.filter((c) => !c.closed && c.producerId === producer?.id).at(-1);
  const pick = (s: Record<string, unknown> | undefined, keys: string[]) =>
    keys.map((k) => `${k} ${s?.[k] ?? '-'}`).join(', ');
  const ps = producer ? (await producer.getStats())[0] : undefined;
  const cs = consumer
    ? (await consumer.getStats()).find((x) => x.type === 'outbound-rtp')
    : undefined;
  return `SFU producer: ${pick(ps as never, ['packetCount', 'packetsLost', 'packetsRepaired', 'nackCount', 'nackPacketCount', 'pliCount', 'firCount', 'packetsRetransmitted'])}; consumer: ${pick(cs as never, ['packetCount', 'packetsLost', 'packetsRepaired', 'nackCount', 'nackPacketCount', 'pliCount', 'firCount', 'packetsRetransmitted', 'packetsDiscarded'])}`;
}

t.test('loss and delay on the link are named in the verdict', async (t) => {
  const relay = await startImpairedRelay();
  t.teardown(() => relay.close());
  const stack = await startLiveCheckStack(t, {
    siteCount: 3,
    listenIp: relay.targetHost,
    announcedAddress: relay.listenHost,
    rtcPort: relay.port,
  });
  const sites = stack.meeting.sites.map((s) => s.siteId);
  const browser = await launchChromium(t, [
    `--use-file-for-fake-video-capture=${noiseVideo(t, 320, 180)}`,
  ]);
  await stack.checks.readiness.openWindow(stack.meeting.id, 'window', Date.now() + 300_000);

  /**
   * Opens the site's page with the relay set to `up`/`down`, runs the check and closes the page.
   */
  const check = async (
    t: Test,
    index: number,
    up: Impairment,
    down: Impairment,
    runs = 1,
  ): Promise<CheckOutcome[]> => {
    const siteId = sites[index]!;
    await relay.set({ up, down });
    await relay.resetCounters();
    const site = await startEndpoint(browser, stack.url, `site${index + 1}`, {
      token: stack.tokens.sites[siteId]!,
      camera: { width: 320, height: 180 },
      microphone: true,
    });
    const outcomes: CheckOutcome[] = [];
    try {
      for (let run = 1; run <= runs; run++) {
        const started = Date.now();
        // Near the end of the measurement, while the check's producer and its loopback live.
        const sfuStats = new Promise<string>((r) =>
          setTimeout(() => void sfuVideoStats().then(r, (e) => r(String(e))), 1800 + measureMs),
        );
        // Mid-measurement, what limits the sender (Chromium's outbound-rtp): explains bitrate reasons.
        const { outcome, sender } = await site.page.evaluate(async (ms) => {
          const client = window.harness.client()!;
          const running = window.harness.runCheck({ measureMs: ms });
          await new Promise((r) => setTimeout(r, Math.min(3000, ms * 0.3) + ms * 0.6 + 1000));
          const sender: string[] = [];
          (await client.transportStats('send'))?.forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video' && s.frameWidth)
              sender.push(
                `${s.frameWidth}x${s.frameHeight}@${s.framesPerSecond} target ${Math.round(s.targetBitrate / 1000)} kbps limited by ${s.qualityLimitationReason}`,
              );
            if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate)
              sender.push(`estimate ${Math.round(s.availableOutgoingBitrate / 1000)} kbps`);
          });
          return { outcome: await running, sender: sender.join(', ') };
        }, measureMs);
        const { result } = outcome;
        const f = result.figures;
        const c = await relay.counters();
        const pct = (d: { received: number; dropped: number }) =>
          d.received ? ((d.dropped / d.received) * 100).toFixed(1) : '0';
        t.comment(
          `relay up ${up.lossPercent}% +${up.delayMs} ms, down ${down.lossPercent}% +${down.delayMs} ms: dropped up ${pct(c.up)}% of ${c.up.received}, down ${pct(c.down)}% of ${c.down.received}; paths opened ${c.udpOpened} udp, ${c.tcpOpened} tcp; relay event loop delay p50 ${c.loopDelayMs.p50} p99 ${c.loopDelayMs.p99} max ${c.loopDelayMs.max} ms, delayed packets at most ${c.maxLateMs} ms late`,
        );
        t.comment(
          `run ${run}/${runs}: check took ${Date.now() - started} ms: verdict ${result.verdict} (${result.reasons.map((r) => `${r.code} ${r.severity} ${r.measured ?? ''}`).join(', ') || 'no reasons'}); up ${f.uplink.kbps} kbps loss ${f.uplink.lossPercent}% jitter ${f.uplink.jitterMs} ms; down ${f.downlink.kbps} kbps loss ${f.downlink.lossPercent}% jitter ${f.downlink.jitterMs} ms rtt ${f.downlink.rttMs} ms; decoded ${f.downlink.framesDecoded} frames (receiver ${JSON.stringify(f.receiver)}); ICE+DTLS ${f.iceDtlsMs} ms, ${f.candidateType}/${f.protocol}; sender ${sender}; probe ${JSON.stringify(f.uplinkProbe)} pushed ${f.sender?.probeSentKbps} kbps; grade ${result.assessment?.grade}: ${result.assessment?.summary.en}`,
        );
        t.comment(await sfuStats);
        t.equal(f.protocol, 'udp', 'media over UDP');
        // The browser learns its address from the relay's STUN answers: peer-reflexive, as behind NAT.
        t.match(f.candidateType, /^(host|prflx)$/, `candidate ${f.candidateType}`);
        t.ok(c.udpOpened > 0 && c.up.received > 0 && c.down.received > 0, 'through the relay');
        const stored = await stack.checks.readiness.find(stack.meeting.id, siteId);
        t.equal(stored?.state, outcome.readiness.state, `readiness stored: ${stored?.state}`);
        outcomes.push(outcome);
      }
      return outcomes;
    } finally {
      await site.close();
    }
  };

  await t.test('no impairment: the site passes through the relay', async (t) => {
    const none = { delayMs: 0, lossPercent: 0 };
    const [{ result, readiness }] = (await check(t, 0, none, none)) as [CheckOutcome];
    const codes = result.reasons.map((r) => r.code);
    const link = codes.filter((c) => c !== 'uplink_low' && c !== 'downlink_low');
    t.same(link, [], 'no reason from the link: no loss, RTT, jitter, TCP');
    // About one run in two, Chromium's bandwidth estimate stays near 1.3 Mbps for the whole check
    // (its start-up probe does not take; "sender estimate" in the output) and the check is degraded
    // on bitrate alone. connection-check.test.ts shows the same without the relay: not the link.
    const todo =
      codes.length > 0 && link.length === 0
        ? { todo: "bitrate only: Chromium's bandwidth estimate did not ramp up in the warm-up" }
        : {};
    t.equal(result.verdict, 'pass', 'passes', todo);
    t.equal(readiness.state, 'ready', 'ready', todo);
  });

  // Several short checks in one page: the looped-back video must decode in every one of them
  // (it once sometimes never did at this loss), and the site is usable with a warning.
  const lossyRuns = Number(process.env.LOSSY_RUNS ?? 2);
  await t.test('5 % loss both ways: video decodes, degraded (a warning) on loss', async (t) => {
    const lossy = { delayMs: 0, lossPercent: 5 };
    const outcomes = await check(t, 1, lossy, lossy, lossyRuns);
    for (const [i, { result, readiness }] of outcomes.entries()) {
      const codes = result.reasons.map((r) => r.code);
      t.ok(result.figures.downlink.framesDecoded > 0, `run ${i + 1}: video decoded`);
      t.notOk(codes.includes('no_video_decoded'), `run ${i + 1}: no no_video_decoded`);
      t.equal(result.verdict, 'degraded', `run ${i + 1}: usable with a warning`);
      t.equal(readiness.state, 'degraded');
      for (const code of ['loss_up', 'loss_down'] as const) {
        const reason = result.reasons.find((r) => r.code === code);
        t.ok(reason, `${code} named`);
        if (!reason) continue;
        t.ok(reason.measured! > 1, `${code}: ${reason.measured}% over the 1 % limit`);
        t.equal(reason.limit, 1);
        t.equal(reason.severity, 'degraded', `${code} severity`);
      }
      t.match(readiness.note?.vi, /Mất gói chiều gửi .*Mất gói chiều nhận/, 'the board says why');
      t.notOk(codes.includes('rtt'), 'no RTT reason: the relay added no delay');
      t.notOk(codes.includes('tcp'), 'no TCP reason');
    }
  });

  await t.test('150 ms each way: degraded on round-trip time', async (t) => {
    const slow = { delayMs: 150, lossPercent: 0 };
    const [{ result, readiness }] = (await check(t, 2, slow, slow)) as [CheckOutcome];
    const codes = result.reasons.map((r) => r.code);
    const rtt = result.reasons.find((r) => r.code === 'rtt');
    t.ok(rtt, 'rtt named');
    t.ok(
      rtt && rtt.measured! >= 290 && rtt.measured! < 400,
      `RTT ${rtt?.measured} ms: about 300 ms, over the 200 ms limit, under the 400 ms fail line`,
    );
    t.equal(rtt?.limit, 200);
    t.equal(rtt?.severity, 'degraded');
    t.not(result.verdict, 'pass', `verdict ${result.verdict}`);
    t.match(readiness.state, /^(degraded|failed)$/);
    t.match(readiness.note?.vi, /Độ trễ khứ hồi/, 'the board says why');
    t.notOk(codes.includes('loss_up') || codes.includes('loss_down'), 'no loss reason');
  });
});
