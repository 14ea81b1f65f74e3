import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import type { StreamView } from '../../protocol/ingest.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { decodedColour, near } from '../helpers/pagePixels.js';
import { freeRtcPortBase } from '../helpers/ports.js';
import { startServiceStack } from '../helpers/serviceStack.js';
import { startWhipClient } from '../helpers/whipClient.js';

// The README's ingest figures, from the real service:
// - CPU per ingest kind: a 720p30 2.5 Mbps encoder (FFmpeg testsrc2, or simple-whip-client for
//   WHIP) pinned to core 1, the relay FFmpeg pinned to core 0 once live; the relay's, the
//   mediasoup worker's and the Node process's CPU over INGEST_CPU_SECONDS (default 15).
// - Latency from encoder input to a site's decoded picture: FFmpeg encodes raw frames this
//   process writes to its stdin; the frame colour flips, and the time until the Chromium site
//   decodes the new colour is taken (the site's poll adds up to ~50 ms).
const seconds = Number(process.env.INGEST_CPU_SECONDS ?? 15);
const RED = '#d02010';
const GREEN = '#10b020';
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** user+sys CPU seconds of a process so far. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function ffmpeg(t: Test, args: string[], core = 1): ChildProcess {
  const child = spawn(
    'taskset',
    ['-c', String(core), 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', ...args],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  t.teardown(() => child.kill('SIGKILL'));
  return child;
}

const tone = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const x264 = (bframes: boolean) =>
  bframes
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-x264-params', 'b-adapt=0:scenecut=0']
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency'];
const out = (kbps: number) => [
  ...['-g', '30', '-pix_fmt', 'yuv420p', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`],
  ...['-bufsize', `${kbps}k`, '-c:a', 'aac', '-b:a', '128k'],
];

/** I420 frame of one flat colour (BT.601, limited range). */
function frameOf(hex: string, w: number, h: number): Buffer {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  return Buffer.concat([
    Buffer.alloc(w * h, Math.round(16 + 65.481 * r + 128.553 * g + 24.966 * b)),
    Buffer.alloc((w * h) / 4, Math.round(128 - 37.797 * r - 74.203 * g + 112 * b)),
    Buffer.alloc((w * h) / 4, Math.round(128 + 112 * r - 93.786 * g - 18.214 * b)),
  ]);
}

t.test('ingest figures: CPU per kind, encoder input → site latency', async (t) => {
  t.setTimeout(600_000);
  const portBase = await freeRtcPortBase(10, '127.0.0.1');
  const stack = await startServiceStack(t, {
    INGEST_LISTEN_HOST: '127.0.0.1',
    INGEST_RTMP_PORT_BASE: String(portBase),
    INGEST_SRT_PORT_BASE: String(portBase + 5),
    INGEST_VIDEO_KBPS: '2500',
  });
  const { service: svc, meeting, districts } = stack;
  const station = stack.tokenOf('station');
  const api = async (method: 'POST' | 'DELETE' | 'GET', path: string, body?: unknown) =>
    svc.app.inject({
      method,
      url: `/api/meetings/${meeting.id}/ingest${path}`,
      headers: { authorization: `Bearer ${station}` },
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });
  const streams = async () => (await api('GET', '')).json<{ streams: StreamView[] }>().streams;
  const browser = await launchChromium(t);
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const site: HarnessEndpoint = await startEndpoint(browser, svc.url, 'site', {
    token: stack.tokenOf('technician', districts[0]!.id),
    send: false,
  });
  await chair.request('startSession');
  const workerPid = svc.pool.workers[0]!.worker.pid;
  const siteSees = (colour: string, ms: number) =>
    waitFor(
      async () => {
        const c = await decodedColour(site, 'station', 'camera');
        return c !== undefined && near(c.rgb, colour);
      },
      ms,
      `the site decoding ${colour}`,
      20,
    );
  const stationProducers = () =>
    svc.signaling.session(meeting.id)?.participant('station')?.producers.length ?? 0;

  /** CPU of the relay (pinned to core 0), the worker and this process while the stream runs. */
  const sample = async (relayPid: number | undefined) => {
    if (relayPid) execFileSync('taskset', ['-p', '-c', '0', String(relayPid)]);
    await sleep(2000);
    const before = {
      relay: relayPid ? cpuOf(relayPid) : 0,
      worker: cpuOf(workerPid),
      node: process.cpuUsage(),
    };
    await sleep(seconds * 1000);
    const node = process.cpuUsage(before.node);
    const pct = (s: number) => Math.round((1000 * s) / seconds) / 10;
    return {
      relay: relayPid ? pct(cpuOf(relayPid) - before.relay) : 0,
      worker: pct(cpuOf(workerPid) - before.worker),
      node: pct((node.user + node.system) / 1e6),
    };
  };

  const rows: string[] = [];
  const stream = async (t: Test, protocol: 'rtmp' | 'srt', bframes: boolean) => {
    const name = `${protocol.toUpperCase()}${bframes ? ' with B-frames (re-encoded)' : ' (copied)'}`;
    const opened = await api('POST', '/streams', { protocol });
    t.equal(opened.statusCode, 201, `${name}: opened`);
    const { id, url } = opened.json<{ id: string; url: string }>();
    const target = [...(protocol === 'rtmp' ? ['-f', 'flv'] : ['-f', 'mpegts'])];
    const dest = url.replace('localhost', '127.0.0.1');

    // CPU: a 720p30 picture with detail and motion, as a hall camera sends.
    const enc = ffmpeg(t, [
      ...['-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', ...tone],
      ...x264(bframes),
      ...out(2500),
      ...target,
      dest,
    ]);
    const view = await waitFor(
      async () => {
        const [v] = await streams();
        return v?.status === 'live' && v.mode === (bframes ? 'encode' : 'copy') && v.width
          ? v
          : undefined;
      },
      30_000,
      `${name} live`,
    );
    const cpu = await sample(svc.ingest.streams.pidOf(id));
    enc.kill('SIGKILL');
    await waitFor(async () => (await streams())[0]?.status !== 'live', 15_000, 'encoder gone');

    // Latency: 320×180 flat colours written by this process into the encoder.
    const w = 320;
    const h = 180;
    const live = ffmpeg(t, [
      ...[
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-s',
        `${w}x${h}`,
        '-framerate',
        '30',
        '-i',
        'pipe:0',
      ],
      ...tone,
      ...['-map', '0:v', '-map', '1:a', ...x264(bframes), ...out(500), ...target, dest],
    ]);
    // The encoder killed at the end while a frame is being written: not an error of the test.
    live.stdin?.on('error', () => {});
    let frame = frameOf(RED, w, h);
    let flippedAt = 0;
    const pump = setInterval(() => live.stdin?.write(frame), 1000 / 30);
    t.teardown(() => clearInterval(pump));
    await siteSees(RED, 30_000);
    const lat: number[] = [];
    for (let i = 0; i < 6; i++) {
      const colour = i % 2 === 0 ? GREEN : RED;
      await sleep(1500);
      frame = frameOf(colour, w, h);
      flippedAt = Date.now();
      await siteSees(colour, 5000);
      lat.push(Date.now() - flippedAt);
    }
    clearInterval(pump);
    live.kill('SIGKILL');
    await api('DELETE', `/streams/${id}`);
    await waitFor(() => stationProducers() === 0, 10_000, 'producers gone');
    lat.sort((a, b) => a - b);
    const row = `${name} | ${view?.width}×${view?.height} | relay ${cpu.relay} % | worker ${cpu.worker} % | node ${cpu.node} % | latency median ${lat[3]} ms (${lat[0]}–${lat[5]})`;
    rows.push(row);
    t.pass(row);
    t.ok(lat[3]! < 3000, `${name}: a site sees the encoder's input within 3 s`);
  };

  await t.test('RTMP copied', (t) => stream(t, 'rtmp', false));
  await t.test('RTMP with B-frames', (t) => stream(t, 'rtmp', true));
  await t.test('SRT copied', (t) => stream(t, 'srt', false));

  await t.test('WHIP', async (t) => {
    // simple-whip-client's own GStreamer x264 at 720p, pinned like the other encoders.
    const client = startWhipClient(t, {
      url: `${svc.url}/whip/${meeting.id}`,
      token: station,
      colour: RED,
      trickle: false,
      width: 1280,
      height: 720,
      kbps: 2500,
      pattern: 'snow',
    });
    await waitFor(() => stationProducers() === 2, 30_000, 'WHIP producers');
    if (client.child.pid)
      execFileSync('taskset', ['-a', '-p', '-c', '1', String(client.child.pid)]);
    await waitForMedia(site, 'station', 'camera', 15_000);
    const cpu = await sample(undefined);
    await client.stop();
    const row = `WHIP (no relay process) | 1280×720 | worker ${cpu.worker} % | node ${cpu.node} %`;
    rows.push(row);
    t.pass(row);
  });

  t.comment(`ingest figures (${seconds} s each, load ${readFileSync('/proc/loadavg', 'utf8')})`);
  for (const row of rows) t.comment(row);
});
