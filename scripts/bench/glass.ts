/**
 * Glass-to-glass benchmark: from the main point's camera to a site's decoded picture. The
 * emulated main point (libwebrtc, 1280×720 VP8 simulcast as the station page sends) draws a
 * 16-bit frame number into each picture just before it goes to the encoder
 * (loadtest/frameCode.ts); decoding sites (libwebrtc with mediasoup-client, layer 2) read the
 * number from every decoded frame. Both are in this process, so one clock serves: delay = time
 * of decoding − time the frame was drawn. Not counted: a real camera's capture and a screen's
 * display (a frame or two each). Two runs: one node; then two nodes sharing one Redis with
 * CLUSTER_SITES_PER_NODE=1, so the first site is on the owner and the second on the edge (the
 * picture crosses a pipe). Service nodes on CPU 0, this emulator on CPU 1.
 * Usage: flock /tmp/diemcau-heavy.lock npx tsx scripts/bench/glass.ts
 * BENCH_SECONDS (default 40) of samples per run, BENCH_FPS (default 20), BENCH_CASCADE=0: one node only.
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { AdminApi } from '../../loadtest/adminApi.js';
import { EmulatedEndpoint } from '../../loadtest/EmulatedEndpoint.js';
import { percentile } from '../../loadtest/figures.js';
import { drawFrameCode, readFrameCode } from '../../loadtest/frameCode.js';
import { issueMeetingLinks, siteAddress } from '../../loadtest/meetingLinks.js';
import { startStation } from '../../loadtest/station.js';
import { RTCVideoSink } from '../../loadtest/wrtc.js';
import { benchReport } from './benchReport.js';
import {
  BENCH_ADMIN,
  createBenchAdmin,
  run,
  type ServiceNode,
  sleep,
  startBenchStore,
  startServiceNode,
  stopServiceNode,
} from './pinnedService.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 40);
const FPS = Number(process.env.BENCH_FPS ?? 20);
const CASCADE = process.env.BENCH_CASCADE !== '0';
const SITES = 2;

interface SiteDelays {
  node: string;
  /** Whether the site is on the node the main point is on (the owner), or receives over a pipe. */
  owner: boolean;
  delays: number[];
  /** Decoded frames whose number was not one drawn, or repeated one already seen. */
  misread: number;
  sizes: Set<string>;
  /** Frames the main point's encoder produced per second over the window, all three layers. */
  encodedFps: number;
}

/** One meeting on `nodes` (the first is where everyone connects first): the delays per site. */
async function measure(nodes: ServiceNode[]): Promise<SiteDelays[]> {
  const url = nodes[0]!.url;
  const api = await AdminApi.login(url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const meeting = await api.createTestMeeting(SITES);
  const links = await issueMeetingLinks(api, meeting, SITES);
  const sentAt = new Map<number, number>();
  let counter = 0;
  const endpoints: EmulatedEndpoint[] = [];
  const station = await startStation(url, links.stationToken, {
    width: 1280,
    height: 720,
    fps: FPS,
    stamp: (data, width, height) => {
      counter = (counter + 1) & 0xffff;
      drawFrameCode(data, width, height, counter);
      sentAt.set(counter, performance.now());
    },
  });
  const sinks: InstanceType<typeof RTCVideoSink>[] = [];
  try {
    const chair = await EmulatedEndpoint.join({ url, token: links.chairToken });
    endpoints.push(chair);
    if (chair.session?.status === 'waiting') await chair.request('startSession', {});
    // One after the other: in the cascade the first fills the owner (the main point's node),
    // the second goes to the other node.
    for (let i = 0; i < SITES; i++)
      endpoints.push(
        await EmulatedEndpoint.join({
          url,
          token: links.siteTokens[i]!,
          layer: 2,
          forwardedFor: siteAddress(i),
        }),
      );
    const sites = endpoints.slice(1);
    const until = performance.now() + 20_000;
    while (performance.now() < until && sites.some((s) => s.timings.firstFrameMs === undefined))
      await sleep(200);
    // The main point's encoder ramps up to layer 2 after its first seconds.
    await sleep(5000);
    const out = sites.map((s): SiteDelays => {
      const node = nodes.find((n) => n.url === s.url)?.id ?? s.url;
      const r: SiteDelays = {
        node,
        owner: s.url === station.endpoint.url,
        delays: [],
        misread: 0,
        sizes: new Set(),
        encodedFps: 0,
      };
      const track = s.videoTrack();
      if (!track) return r;
      const sink = new RTCVideoSink(track);
      sinks.push(sink);
      let last = -1;
      sink.onframe = ({
        frame,
      }: {
        frame: { width: number; height: number; data: Uint8Array };
      }) => {
        const at = performance.now();
        const n = readFrameCode(frame.data, frame.width, frame.height);
        const drawn = sentAt.get(n);
        r.sizes.add(`${frame.width}×${frame.height}`);
        if (drawn === undefined || n === last || at - drawn > 10_000) r.misread++;
        else r.delays.push(at - drawn);
        last = n;
      };
      return r;
    });
    const before = await station.endpoint.sendCounters();
    await sleep(SECONDS * 1000);
    const after = await station.endpoint.sendCounters();
    for (const r of out) r.encodedFps = (after.framesEncoded - before.framesEncoded) / SECONDS;
    return out;
  } finally {
    for (const s of sinks) s.stop();
    for (const e of endpoints) e.close();
    station.close();
    await links.revoke();
    await api.closeTestMeeting(meeting.id).catch(() => {});
  }
}

const report = benchReport('glass');
const { say } = report;
const store = await startBenchStore('glass');
// The emulator (this process, every thread) on CPU 1; the nodes on CPU 0.
await run('taskset', ['-a', '-p', '-c', '1', String(process.pid)], process.env);
try {
  say(
    `# glass-to-glass, ${new Date().toISOString()}: main point 1280x720 VP8 simulcast at ${FPS} fps, ${SITES} decoding sites at layer 2, ${SECONDS} s per run; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  say('# nodes on CPU 0, emulator (main point, chair, sites) on CPU 1');
  say(
    '| run | site on | samples (fps) | p50 ms | p95 ms | max ms | misread | decoded sizes | main point encoded fps (3 layers) |',
  );
  say('|---|---|---|---|---|---|---|---|---|');
  const row = (
    label: string,
    node: string,
    delays: number[],
    misread: number,
    sizes: string,
    encodedFps: number,
  ) => {
    const f0 = (p: number) => percentile(delays, p)?.toFixed(0) ?? '—';
    say(
      `| ${label} | ${node} | ${delays.length} (${(delays.length / SECONDS).toFixed(1)}) | ${f0(50)} | ${f0(95)} | ${f0(100)} | ${misread} | ${sizes} | ${encodedFps.toFixed(1)} |`,
    );
  };
  for (const cascade of CASCADE ? [false, true] : [false]) {
    const env = { ...store.env, CLUSTER_SITES_PER_NODE: cascade ? '1' : '0' };
    const flush = new Redis(store.redisUrl);
    await flush.flushdb();
    flush.disconnect();
    await createBenchAdmin(store.env);
    const nodes = [await startServiceNode('node-a', 0, 18580, 18600, env)];
    try {
      if (cascade) nodes.push(await startServiceNode('node-b', 0, 18581, 18700, env));
      const label = cascade ? 'cascade (2 nodes)' : 'one node';
      const sites = await measure(nodes);
      for (const r of sites)
        row(
          label,
          `${r.node}${cascade ? (r.owner ? ' (owner)' : ' (edge)') : ''}`,
          r.delays,
          r.misread,
          [...r.sizes].join(', '),
          r.encodedFps,
        );
      if (!cascade)
        row(
          label,
          'both sites',
          sites.flatMap((r) => r.delays),
          sites.reduce((n, r) => n + r.misread, 0),
          '',
          sites[0]?.encodedFps ?? 0,
        );
    } finally {
      for (const n of nodes) await stopServiceNode(n);
    }
  }
} finally {
  await store.close();
  report.write();
  // libwebrtc for Node crashes while tearing down at exit (see stationProcess.ts).
  process.exit(0);
}
