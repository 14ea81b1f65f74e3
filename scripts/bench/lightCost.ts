/**
 * What one emulated site costs the emulator, by kind: bare mediasoup (bareSfu.ts) on CPU 0, the
 * emulated main point (1280×720 VP8 simulcast + Opus) in its own process, and N sites of one
 * kind in this process on CPU 1; prints this process's CPU per site, per received packet, its
 * RSS, and the sites' loss. Usage (pinned by the caller, e.g. taskset -c 1):
 *   npx tsx scripts/bench/lightCost.ts light|decoding N [SECONDS] [LAYER]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { EmulatedEndpoint } from '../../loadtest/EmulatedEndpoint.js';
import { LightSite } from '../../loadtest/LightSite.js';

const [kind = 'light', nArg = '100', secondsArg = '10', layerArg = '2'] = process.argv.slice(2);
const n = Number(nArg);
const seconds = Number(secondsArg);
const layer = Number(layerArg) as 0 | 1 | 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];

async function started(child: ChildProcess, word: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(word)) ok();
    });
    child.once('exit', (code) => fail(new Error(`exited ${code}`)));
  });
}

try {
  const sfu = spawn(
    'taskset',
    ['-c', '0', 'node', '--import=tsx', 'scripts/bench/bareSfu.ts', '18490', '18590'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(sfu);
  await started(sfu, 'ready');
  const url = 'http://127.0.0.1:18490';
  const station = spawn('node', ['--import=tsx', 'scripts/bench/stationProcess.ts', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(station);
  await started(station, 'publishing');
  await sleep(2000);

  const join = kind === 'light' ? LightSite.join : EmulatedEndpoint.join;
  const sites = (
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await sleep((i * 5000) / n);
        return join({ url, token: `site-${i}`, layer }).catch((err: Error) => {
          process.stderr.write(`site ${i}: ${err.message}\n`);
          return undefined;
        });
      }),
    )
  ).filter((s) => s !== undefined);
  await sleep(4000);
  const totals = async () => {
    let packets = 0;
    let lost = 0;
    let bytes = 0;
    for (const f of await Promise.all(sites.map((s) => s.figures()))) {
      packets += f.videoPackets + f.audioPackets;
      lost += f.videoLost + f.audioLost;
      bytes += f.videoBytes + f.audioBytes;
    }
    return { packets, lost, bytes };
  };
  const a = await totals();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const b = await totals();
  const cpuS = (c.user + c.system) / 1e6;
  const packets = b.packets - a.packets;
  const lost = b.lost - a.lost;
  process.stdout.write(
    `${JSON.stringify({
      kind,
      layer,
      sites: sites.length,
      cpuPercentOfCore: +((cpuS / wall) * 100).toFixed(1),
      cpuPercentPerSite: +(((cpuS / wall) * 100) / sites.length).toFixed(3),
      usPerPacket: +((cpuS / packets) * 1e6).toFixed(2),
      packetsPerSiteSecond: +(packets / sites.length / wall).toFixed(1),
      kbpsPerSite: +(((b.bytes - a.bytes) * 8) / sites.length / wall / 1000).toFixed(0),
      lossPercent: +((lost / Math.max(1, packets + lost)) * 100).toFixed(3),
      rssMiB: +(process.memoryUsage().rss / 2 ** 20).toFixed(0),
      sitesAtCoreFull: Math.floor(sites.length / (cpuS / wall)),
      keyFrameSizes: [
        ...new Set(
          sites.map((s) => {
            const k = s instanceof LightSite ? s.mediaCheck().keyFrameSize : undefined;
            return k ? `${k.width}x${k.height}` : '-';
          }),
        ),
      ],
      loadAverage: loadavg().map((l) => +l.toFixed(1)),
    })}\n`,
  );
  for (const s of sites) s.close();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
// process.exit, not a natural end: libwebrtc for Node crashes while tearing down at exit.
process.exit(0);
