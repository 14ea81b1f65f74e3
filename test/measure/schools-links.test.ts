import { type Browser, chromium } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import { receiveStartBps } from '../../signaling/session/receiveStart.js';
import type { CheckOutcome } from '../../web/client/ConnectionCheck.js';
import { chromiumFlags, launchChromium, waitFor } from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint } from '../helpers/endpoints.js';
import { cameraVideo } from '../helpers/fakeVideo.js';
import { startImpairedRelay } from '../helpers/impairedRelay.js';
import { netnsUnavailable } from '../helpers/netns.js';
import {
  createSchool,
  limitDownlink,
  nft,
  publicAddresses,
  type School,
} from '../helpers/schoolNet.js';
import { startServiceStack } from '../helpers/serviceStack.js';
import {
  joinSteps,
  pagePath,
  type VideoWindow,
  videoWindow,
  watchFromStart,
} from '../helpers/videoWatch.js';

/*
 * One live meeting, schools on the links they really have. The main point sends its camera
 * (1280×720: a hall with a moving speaker and a sensor's grain, so every layer spends about its
 * target at 30 fps, as a real camera does) in three simulcast layers; four schools, each a real
 * Chromium in its own network namespace:
 *   - 400 kbit/s down (tbf on the school's link),
 *   - 1 Mbit/s down,
 *   - unlimited,
 *   - 5 % loss and 150 ms each way (the user-space impaired relay; the school's traffic to the
 *     media port is sent through it by a DNAT rule in its namespace).
 * Each must keep decoding the main point (frames per second, freezes over 500 ms) at the layer
 * its link carries; the unlimited school keeps the top layer. Then the floor goes to the lossy
 * school (it sends its camera through the loss): the others must see it. Figures are printed.
 */

const skip = netnsUnavailable();
const MEASURE_S = 8;

interface Case {
  name: string;
  school: School;
  siteId: string;
  browser?: Browser;
  page?: HarnessEndpoint;
  /** Join steps, ms after the page's navigation began: page loaded, signaling connected. */
  loadedMs?: number;
  connectedMs?: number;
  /** Bytes the page's own files took over the link. */
  pageKB?: number;
  /** Where the SFU's estimate towards the school starts (from its last check, or the default). */
  startBps?: number;
  /** Wall clock of the page's navigation start. */
  navigatedAt?: number;
}

t.test('schools on thin, lossy and good links in one meeting', { skip }, async (t) => {
  t.setTimeout(150_000);
  const pub = publicAddresses(t);
  const url = `http://${pub.server}:443`;
  const stack = await startServiceStack(t, {
    HOST: pub.server,
    PORT: '443',
    PUBLIC_URL: url,
    RTC_LISTEN_IP: pub.server,
    ANNOUNCED_ADDRESS: pub.server,
  });
  const rtcPort = stack.service.pool.workers[0]!.port;
  const meetingId = stack.meeting.id;
  const d = stack.districts;

  const cases: Case[] = [
    { name: '400 kbit/s', school: createSchool(t, 4), siteId: d[0]!.id },
    { name: '1 Mbit/s', school: createSchool(t, 5), siteId: d[1]!.id },
    { name: 'unlimited', school: createSchool(t, 6), siteId: d[2]!.id },
    { name: '5 % loss + 150 ms', school: createSchool(t, 7), siteId: d[3]!.id },
  ];
  const [thin, medium, good, lossy] = cases as [Case, Case, Case, Case];
  limitDownlink(thin.school, 400);
  limitDownlink(medium.school, 1000);
  const relay = await startImpairedRelay({
    listenHost: lossy.school.hostIp,
    targetHost: pub.server,
    port: rtcPort,
    up: { delayMs: 150, lossPercent: 5 },
    down: { delayMs: 150, lossPercent: 5 },
  });
  t.teardown(() => relay.close());
  // The lossy school's media goes through the relay: its packets to the media port are sent to
  // the relay on its gateway, and the replies come back as from the media port.
  nft(
    lossy.school,
    `table ip schnat {
      chain out {
        type nat hook output priority -100; policy accept;
        ip daddr ${pub.server} udp dport ${rtcPort} dnat to ${lossy.school.hostIp}:${rtcPort};
        ip daddr ${pub.server} tcp dport ${rtcPort} dnat to ${lossy.school.hostIp}:${rtcPort};
      }
    }`,
  );

  const secure = `--unsafely-treat-insecure-origin-as-secure=${url}`;
  const hall = await launchChromium(t, [
    secure,
    `--use-file-for-fake-video-capture=${cameraVideo(t, 1280, 720)}`,
  ]);
  const station = await startEndpoint(hall, url, 'station', {
    token: stack.tokenOf('station'),
    camera: { width: 1280, height: 720 },
    microphone: true,
  });
  t.teardown(() => station.close().catch(() => {}));

  const chair = io(url, {
    auth: { token: stack.tokenOf('chair') },
    transports: ['websocket'],
    reconnection: false,
  });
  t.teardown(() => void chair.close());
  await waitFor(() => chair.connected, 10_000, 'chair connected');
  const ask = async <T>(socket: Socket, name: string, payload: unknown = {}): Promise<T> => {
    const answer = (await socket.timeout(10_000).emitWithAck(name, payload)) as {
      ok: boolean;
      data?: T;
      error?: unknown;
    };
    if (!answer.ok) throw new Error(`${name}: ${JSON.stringify(answer.error)}`);
    return answer.data as T;
  };
  await ask(chair, 'join');

  // The day before, the thin and 1 Mbit/s schools ran their connection check (IT's "check now"):
  // the downlink it measured is where their receive estimate starts at the meeting. The others
  // never checked: they start at the cautious default.
  for (const c of cases) {
    c.browser = await chromium.launch({
      executablePath: c.school.chromium,
      headless: true,
      args: [...chromiumFlags, secure],
    });
    t.teardown(() => c.browser!.close());
  }
  const it = io(url, {
    auth: { meetingId },
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { cookie: stack.adminCookie, origin: url },
  });
  t.teardown(() => void it.close());
  await waitFor(() => it.connected, 10_000, 'IT connected');
  await ask(it, 'join');
  await Promise.all(
    [thin, medium].map(async (c) => {
      const checking = await startEndpoint(c.browser!, url, `${c.name} check`, {
        token: stack.tokenOf('technician', c.siteId),
        camera: true,
        microphone: true,
      });
      await ask(it, 'requestCheck', { siteId: c.siteId });
      const outcome = (await checking.page.evaluate(() =>
        window.harness.runCheck({ measureMs: 6000 }),
      )) as CheckOutcome;
      await checking.close();
      const down = outcome.result.assessment?.downlink;
      c.startBps = receiveStartBps(down);
      t.comment(
        `${c.name}: its check measured the downlink at ${down?.bound ?? ''} ${down?.kbps} kbps (${down?.confidence}): its receive estimate starts at ${c.startBps / 1000} kbps`,
      );
    }),
  );
  await ask(chair, 'startSession');

  // Each school's layer of the main point as the SFU forwards it, from the start: when it first
  // forwarded each spatial layer (wall clock), to show the climb after the join.
  const room = () => stack.service.signaling.session(meetingId)?.room;
  const layerSeenAt = new Map<Case, Map<number, number>>(cases.map((c) => [c, new Map()]));
  const climb = setInterval(() => {
    const stationCam = [...(room()?.endpoint('station')?.producers.values() ?? [])].find(
      (p) => p.appData.source === 'camera',
    );
    if (!stationCam) return;
    for (const c of cases) {
      const consumer = room()?.endpoint(`site:${c.siteId}`)?.consumerOf(stationCam.id);
      const layer = consumer?.currentLayers?.spatialLayer;
      const seen = layerSeenAt.get(c)!;
      if (layer !== undefined && !seen.has(layer)) seen.set(layer, Date.now());
    }
  }, 200);
  t.teardown(() => clearInterval(climb));

  // Every school opens its page once the meeting is live; the lossy one sends its camera.
  const lossyEndpoint = `site:${lossy.siteId}`;
  await Promise.all(
    cases.map(async (c) => {
      c.page = await startEndpoint(c.browser!, url, c.name, {
        token: stack.tokenOf('technician', c.siteId),
        ...(c === lossy
          ? { camera: { width: 320, height: 180, color: '#2060c0' }, microphone: true }
          : { send: false }),
        init: watchFromStart(['station/camera', `${lossyEndpoint}/camera`]),
      });
      Object.assign(c, await joinSteps(c.page.page));
      c.navigatedAt = await c.page.page.evaluate(() => performance.timeOrigin);
    }),
  );
  t.teardown(async () => {
    for (const c of cases) await c.page?.close().catch(() => {});
  });

  const consumerLayer = async (c: Case) => {
    const endpointId = await c.page!.page.evaluate(() => window.harness.client()!.endpointId!);
    const stationCam = [...(room()?.endpoint('station')?.producers.values() ?? [])].find(
      (p) => p.appData.source === 'camera',
    );
    const consumer = stationCam
      ? room()?.endpoint(endpointId)?.consumerOf(stationCam.id)
      : undefined;
    return consumer?.currentLayers?.spatialLayer;
  };
  // Let each link's estimate settle, then measure.
  for (const c of cases)
    await waitFor(
      async () => (await videoWindow(c.page!.page, 'station')).frames > 10,
      30_000,
      `${c.name}: first frames of the main point`,
    );
  await new Promise((r) => setTimeout(r, 10_000));
  await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
  const seen = new Map<Case, VideoWindow & { layer?: number }>();
  for (const c of cases) {
    const v = await videoWindow(c.page!.page, 'station', 'camera', MEASURE_S);
    const layer = await consumerLayer(c);
    seen.set(c, { ...v, ...(layer !== undefined ? { layer } : {}) });
    t.comment(
      `${c.name}: join → first frame ${v.firstFrameMs} ms (page loaded ${c.loadedMs} ms, ${c.pageKB} kB; connected ${c.connectedMs} ms); last ${MEASURE_S} s: layer ${layer} (${v.frameHeight}p), ${v.fps} fps, ${v.freezes} freezes > 500 ms (longest gap ${v.longestGapMs} ms), lost ${v.packetsLost}, NACK ${v.nackCount}, PLI ${v.pliCount}`,
    );
  }
  for (const c of cases) {
    const steps = [...layerSeenAt.get(c)!].map(
      ([layer, at]) =>
        `${['180p', '360p', '720p'][layer]} at ${Math.round(at - c.navigatedAt!)} ms`,
    );
    t.comment(
      `${c.name}: receive estimate started at ${(c.startBps ?? receiveStartBps(undefined)) / 1000} kbps; layers forwarded after the join: ${steps.join(', ') || 'none'}`,
    );
  }
  // What the main point itself sends per layer: a loaded machine's encoder sets the ceiling.
  const sent = await station.page.evaluate(async () => {
    const out: { rid: string; height: number; fps: number; limit: string }[] = [];
    (await window.harness.client()!.transportStats('send'))?.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video')
        out.push({
          rid: String(s.rid),
          height: s.frameHeight ?? 0,
          fps: s.framesPerSecond ?? 0,
          limit: String(s.qualityLimitationReason),
        });
    });
    return out.sort((x, y) => x.rid.localeCompare(y.rid));
  });
  // The top layer the main point is sending now (its own send estimate may hold back r2).
  const topSent = Math.max(...sent.map((l, i) => (l.fps > 0 ? i : -1)));
  t.comment(
    `the main point sends ${sent.map((l) => `${l.rid}: ${l.height}p ${l.fps} fps (limited by ${l.limit})`).join(', ')}`,
  );
  const relayStats = await relay.counters();
  t.comment(
    `relay: up ${relayStats.up.dropped}/${relayStats.up.received} dropped, down ${relayStats.down.dropped}/${relayStats.down.received} dropped; loop delay p99 ${relayStats.loopDelayMs.p99} ms`,
  );
  // The per-school figures judge the links only while the main point sends every layer at a
  // usable rate. With the old pure-noise clip its 720p layer always fell to 0-4 fps (the encoder's
  // rate control dropped frames it could not fit in 1.2 Mbps); with the hall-camera clip every
  // layer runs at ~30 fps, so this now only guards against a machine too busy to encode.
  const stationStarved = sent.length < 3 || sent.some((l) => l.fps < 10);
  if (stationStarved) {
    t.comment('the main point starved its own layers: the per-school figures above are not judged');
  } else {
    for (const c of cases) {
      const v = seen.get(c)!;
      // Bounds with a margin for a loaded 2-core machine; the figures printed above are the finding.
      t.ok(v.fps >= 5, `${c.name}: keeps decoding the main point (${v.fps} fps)`);
      t.ok(v.freezes <= 4, `${c.name}: few freezes over 500 ms in ${MEASURE_S} s (${v.freezes})`);
    }
    t.equal(
      seen.get(good)!.layer,
      topSent,
      `the unlimited school keeps the top layer the main point sends (${topSent})`,
    );
    t.equal(await pagePath(good.page!.page), 'udp', '… straight over UDP');
    t.equal(seen.get(good)!.frameHeight, sent[topSent]?.height, `… ${sent[topSent]?.height}p`);
    // mediasoup's own estimate towards a tbf-limited school climbed past the line (the 400 kbit/s
    // school was forwarded 720p 2-14 s after its join in 3 of 7 runs; the 1 Mbit/s school got
    // 720p at 12 fps): the layer guard (media/LayerGuard.ts) starts a school at the layers its
    // last check's figure holds and steps a layer down while it loses packets or frame rate.
    t.equal(seen.get(thin)!.layer, 0, 'the 400 kbit/s school gets the lowest layer');
    t.ok((seen.get(medium)!.layer ?? 9) <= 1, 'the 1 Mbit/s school gets at most the middle layer');
  }
  // Join → first frame on the thin link. It was 11-14 s, 9 s of it the page's 414 kB of script;
  // pre-compressed pages and a receive estimate that starts low made it 4-6 s on this loaded
  // 2-core machine (5 s is not reliable here: 5.4 and 5.9 s were seen).
  const thinFirst = seen.get(thin)!.firstFrameMs ?? Number.POSITIVE_INFINITY;
  t.ok(thinFirst < 8000, `the 400 kbit/s school sees the main point within 8 s (${thinFirst} ms)`);
  t.ok(
    relayStats.down.dropped > 0 && relayStats.up.dropped > 0,
    'the lossy school lost packets both ways',
  );

  // The floor goes to the lossy school: its camera, sent through the loss, reaches the others.
  await ask(chair, 'grantFloor', { siteId: lossy.siteId });
  const others = cases.filter((c) => c !== lossy);
  for (const c of others)
    await waitFor(
      async () => (await videoWindow(c.page!.page, lossyEndpoint)).frames > 10,
      20_000,
      `${c.name}: the lossy school's camera`,
    );
  await new Promise((r) => setTimeout(r, 5000));
  for (const c of others) {
    const v = await videoWindow(c.page!.page, lossyEndpoint, 'camera', 5);
    t.comment(
      `${c.name} sees the lossy school: ${v.fps} fps, ${v.freezes} freezes > 500 ms (longest ${v.longestGapMs} ms), ${v.frameHeight}p`,
    );
    t.ok(v.fps >= 5, `${c.name}: decodes the school with the floor (${v.fps} fps)`);
  }
});
