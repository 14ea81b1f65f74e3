/**
 * The emulator side of the baseline: the station and N sites against scripts/bench/bareSfu.ts,
 * a join storm over 10 s, then a steady window. Prints one JSON line: packets received by the
 * sites and the worker's CPU seconds over the window.
 * Usage: bareSites.ts URL N SECONDS [LIGHT]   (LIGHT of the N sites are light, default 0)
 */
import { EmulatedEndpoint } from '../../loadtest/EmulatedEndpoint.js';
import { LightSite } from '../../loadtest/LightSite.js';
import { startStation } from '../../loadtest/station.js';

const [url = 'http://127.0.0.1:18090', nArg = '25', secondsArg = '15', lightArg = '0'] =
  process.argv.slice(2);
const light = Number(lightArg);
const n = Number(nArg);
const seconds = Number(secondsArg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpu = async () =>
  ((await (await fetch(new URL('/cpu', url))).json()) as { cpuSeconds: number }).cpuSeconds;

const station = await startStation(url, 'station');
const sites = await Promise.all(
  Array.from({ length: n }, async (_, i) => {
    await sleep((i * 10_000) / n);
    const join = i < light ? LightSite.join : EmulatedEndpoint.join;
    return join({ url, token: `site-${i}`, layer: 2 }).catch(() => undefined);
  }),
);
const joined = sites.filter((s) => s !== undefined);
const until = performance.now() + 20_000;
while (performance.now() < until && joined.some((s) => s.timings.firstFrameMs === undefined))
  await sleep(250);
const packets = async () => {
  let sum = 0;
  for (const f of await Promise.all(joined.map((s) => s.figures())))
    sum += f.videoPackets + f.audioPackets;
  return sum;
};
const p0 = await packets();
const c0 = await cpu();
const t0 = performance.now();
await sleep(seconds * 1000);
const c1 = await cpu();
const t1 = performance.now();
const p1 = await packets();
const frames = joined.map((s) => s.timings.firstFrameMs).filter((v) => v !== undefined);
process.stdout.write(
  `${JSON.stringify({ n, joined: joined.length, frames: frames.length, packets: p1 - p0, workerCpuSeconds: c1 - c0, seconds: (t1 - t0) / 1000 })}\n`,
);
for (const s of joined) s.close();
station.close();
// process.exit, not a natural end: libwebrtc for Node crashes while tearing down at exit.
process.exit(0);
