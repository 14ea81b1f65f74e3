/**
 * CPU per connected hall room system (SIP): the service (server/main.ts, its mediasoup worker and
 * the meeting's room feed, a gst-launch child) pinned to CPU 0; the emulated main point (720p VP8
 * simulcast + Opus) and N baresip room systems on CPU 1, each calling the live meeting with a
 * 320×240 15 fps H.264 camera (Baseline, from a file) and G.722, receiving the programme.
 * For each N it reads the CPU time of the service's whole process tree over a steady window and
 * the RTP packets the calls carried; the cost of one more room is the slope between counts.
 *
 *   npx tsx scripts/bench/sip.ts [SECONDS=20] [COUNTS=1,5,10]
 *   SIP_VIDEO_WIDTH=1280 SIP_VIDEO_HEIGHT=720 SIP_VIDEO_FPS=30 npx tsx scripts/bench/sip.ts
 *
 * The programme the rooms receive defaults to 640×360 15 fps 600 kbit/s here, so that ten
 * baresips can decode it on one core; the service's default is 1280×720 30 fps 1500 kbit/s.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { SipCallView } from '../../protocol/sip.js';
import type { Site } from '../../protocol/sites.js';
import { BaresipControl, roomMediaArgs, spawnBaresip } from './baresip.js';
import { benchReport } from './benchReport.js';
import { BENCH_ADMIN, sleep, startPinnedService } from './pinnedService.js';

const [secondsArg = '20', countsArg = '1,5,10'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const counts = countsArg.split(',').map(Number);
const rooms = Math.max(...counts);
const HTTP_PORT = 18790;
const SIP_PORT = 18760;
const feed = {
  width: process.env.SIP_VIDEO_WIDTH ?? '640',
  height: process.env.SIP_VIDEO_HEIGHT ?? '360',
  fps: process.env.SIP_VIDEO_FPS ?? '15',
  kbps: process.env.SIP_VIDEO_KBPS ?? '600',
};
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const run = promisify(execFile);

/** CPU seconds of a process and every descendant, by command name. */
function treeCpu(root: number): Map<string, number> {
  const stats = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        ppid: Number(f[1]),
        comm,
        cpu: (Number(f[11]) + Number(f[12])) / ticks,
      });
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map<string, number>();
  const add = (pid: number) => {
    const s = stats.get(pid);
    if (!s) return;
    const name =
      pid === root
        ? 'node'
        : s.comm.startsWith('mediasoup')
          ? 'worker'
          : s.comm.startsWith('gst')
            ? 'feed'
            : 'other';
    out.set(name, (out.get(name) ?? 0) + s.cpu);
    for (const [child, c] of stats) if (c.ppid === pid) add(child);
  };
  add(root);
  return out;
}

const children: ChildProcess[] = [];
const report = benchReport('sip');
const service = await startPinnedService({
  name: 'sip',
  port: HTTP_PORT,
  rtcPortBase: 18800,
  env: {
    SIP_PORT: String(SIP_PORT),
    SIP_LISTEN_IP: '127.0.0.1',
    SIP_ANNOUNCED_ADDRESS: '127.0.0.1',
    SIP_DOMAIN: '127.0.0.1',
    SIP_RTP_PORT_MIN: '43000',
    SIP_RTP_PORT_MAX: '43999',
    SIP_VIDEO_WIDTH: feed.width,
    SIP_VIDEO_HEIGHT: feed.height,
    SIP_VIDEO_FPS: feed.fps,
    SIP_VIDEO_KBPS: feed.kbps,
  },
});
try {
  const url = service.url;
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const main = await api<Site>('POST', '/api/sites', { name: 'Hội trường Sở', kind: 'main_hall' });
  const halls: Site[] = [];
  for (let i = 1; i <= rooms; i++)
    halls.push(
      await api<Site>('POST', '/api/sites', {
        name: `Hội trường ${i}`,
        kind: 'district_office',
        sip: { user: `bench-hall${i}`, allowFrom: ['127.0.0.1'] },
      }),
    );
  const opens = Date.now() + 7 * 86_400_000;
  const created = await api<Meeting>('POST', '/api/meetings', {
    title: 'Đo CPU thiết bị phòng họp / SIP room systems CPU',
    organizer: 'Tổ công nghệ thông tin',
    opensAt: new Date(opens).toISOString(),
    closesAt: new Date(opens + 2 * 3_600_000).toISOString(),
    mainSite: { siteId: main.id },
    sites: halls.map((s) => ({ siteId: s.id })),
  });
  await api('POST', `/api/meetings/${created.id}/actions/schedule`);
  await api('POST', `/api/meetings/${created.id}/actions/goLive`);
  const { number } = await api<{ number: string }>('GET', `/api/meetings/${created.id}/sip`);
  const link = await api<IssuedLink>('POST', `/api/meetings/${created.id}/links`, {
    role: 'station',
  });
  const station = spawn(
    'taskset',
    ['-c', '1', 'node', '--import=tsx', 'scripts/bench/stationProcess.ts', url, link.token],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(station);
  const calls = () => api<SipCallView[]>('GET', `/api/meetings/${created.id}/sip/calls`);

  // One camera file and tone for every room (baresip reads them at their own pace).
  const media = join(service.dir, 'room-media');
  mkdirSync(media, { recursive: true });
  const camera = join(media, 'camera.mp4');
  const tone = join(media, 'tone.wav');
  const args = roomMediaArgs(camera, tone, { size: '320x240', fps: 15, seconds: 600 });
  await run('ffmpeg', args.camera);
  await run('ffmpeg', args.tone);
  let ctrlPort = 18700;
  const dial = async (i: number) => {
    const dir = join(service.dir, `room-${i}`);
    mkdirSync(dir, { recursive: true });
    const port = ctrlPort++;
    const account = `<sip:bench-hall${i}@127.0.0.1>;regint=0`;
    const child = spawnBaresip(
      dir,
      { listen: '127.0.0.1:0', account, camera, microphone: tone, ctrlPort: port },
      '1',
    );
    child.stdout?.resume();
    child.stderr?.resume();
    children.push(child);
    let control: BaresipControl | undefined;
    for (let n = 0; !control && n < 100; n++)
      control = await BaresipControl.open(port).catch(async () => {
        await sleep(100);
        return undefined;
      });
    if (!control) throw new Error(`baresip ${i}: no control port`);
    control.send('dial', `sip:${number}@127.0.0.1:${SIP_PORT}`);
  };

  report.say(
    `# sip: CPU per hall room system (scripts/bench/sip.ts), ${new Date().toISOString().slice(0, 16)} UTC`,
  );
  report.say(
    `# service + mediasoup worker + room feed (gst) on CPU 0; main point and baresips on CPU 1; rooms send 320x240 15 fps H.264 + G.722, receive ${feed.width}x${feed.height} ${feed.fps} fps ${feed.kbps} kbit/s; ${seconds} s windows`,
  );
  report.say(
    '| rooms | service % of a core | node | worker | feed | pkts/s in per room | pkts/s out per room | load |',
  );
  report.say('|---|---|---|---|---|---|---|---|');
  const rows: { rooms: number; total: number }[] = [];
  let dialled = 0;
  for (const target of [0, ...counts]) {
    while (dialled < target) await dial(++dialled);
    for (let n = 0; ; n++) {
      const up = (await calls()).filter((c) => c.state === 'connected').length;
      if (up >= target) break;
      if (n > 300) throw new Error(`only ${up} of ${target} rooms connected`);
      await sleep(200);
    }
    await sleep(target === 0 ? 8000 : 5000);
    const c0 = treeCpu(service.process.pid!);
    const p0 = await calls();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const c1 = treeCpu(service.process.pid!);
    const p1 = await calls();
    const wall = (performance.now() - t0) / 1000;
    const share = (name?: string) => {
      let s = 0;
      for (const [k, v] of c1) if (!name || k === name) s += v - (c0.get(k) ?? 0);
      return (s / wall) * 100;
    };
    const packets = (list: SipCallView[], dir: 'packetsIn' | 'packetsOut') =>
      list.flatMap((c) => c.media).reduce((a, m) => a + m[dir], 0);
    const perRoom = (dir: 'packetsIn' | 'packetsOut') =>
      target ? (packets(p1, dir) - packets(p0, dir)) / wall / target : 0;
    const total = share();
    rows.push({ rooms: target, total });
    report.say(
      `| ${target} | ${total.toFixed(1)} | ${share('node').toFixed(1)} | ${share('worker').toFixed(1)} | ${share('feed').toFixed(1)} | ${perRoom('packetsIn').toFixed(0)} | ${perRoom('packetsOut').toFixed(0)} | ${loadavg()[0]!.toFixed(1)} |`,
    );
  }
  const first = rows.find((r) => r.rooms > 0)!;
  const last = rows.at(-1)!;
  if (last.rooms > first.rooms)
    report.say(
      `# one more room: ${((last.total - first.total) / (last.rooms - first.rooms)).toFixed(2)} % of a core (slope ${first.rooms}→${last.rooms}); the first room (feed started): ${(first.total - rows[0]!.total).toFixed(1)} %`,
    );
  report.write();
} finally {
  for (const child of children) child.kill('SIGKILL');
  await service.close();
}
process.exit(0);
