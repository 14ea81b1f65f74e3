/**
 * Cascade benchmark: N emulated sites (loadtest/) join one meeting on two nodes sharing one Redis,
 * first with the cascade off (every site on the owner), then with CLUSTER_SITES_PER_NODE = N/2
 * (half the sites on the other node, which receives the main point once over a pipe). Both nodes
 * run on CPU 0 and the emulator alone on CPU 1 (2 cores: a node each would starve the emulator,
 * as the sites benchmark shows past 50 sites). Prints, per
 * run and node: media endpoints and consumers at steady state, worker CPU % over the run; and the
 * sites' join → first frame p50 / p95, received kbps and loss.
 * Usage: npx tsx scripts/bench/cascade.ts [N]   (default 50). BENCH_SECONDS (default 15);
 * BENCH_DECODING (default 0): how many sites decode, the others are light (loadtest/LightSite.ts).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { metricSum, percentile, scrapeMetrics } from '../../loadtest/figures.js';
import type { LoadTestResult } from '../../loadtest/runLoadTest.js';
import { benchReport } from './benchReport.js';
import {
  createBenchAdmin,
  sleep,
  spawnLoadtest,
  startBenchStore,
  startServiceNode,
  stopServiceNode,
} from './pinnedService.js';

const N = Number(process.argv[2] ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
/** BENCH_NODE_B_CPU=1: node B on the emulator's core (with light sites there is room). */
const NODE_B_CPU = Number(process.env.BENCH_NODE_B_CPU ?? 0);
/** How many of the N sites decode (libwebrtc); the rest are light. BENCH_DECODING=all: every one. */
const DECODING =
  process.env.BENCH_DECODING === 'all' ? N : Math.min(N, Number(process.env.BENCH_DECODING ?? 0));

const store = await startBenchStore('cascade');
const { dir, env: base } = store;
const report = benchReport('cascade');
const { say } = report;

try {
  say(
    `# cascade benchmark, ${new Date().toISOString()}, ${N} sites (${N - DECODING} light, ${DECODING} decoding), steady window ${SECONDS} s, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  say(
    `# node A on CPU 0, node B on CPU ${NODE_B_CPU}, the emulator on CPU 1 (2 cores); station 1280x720 VP8 simulcast + Opus; sites take layer 2`,
  );
  say(
    '| sites per node | node | owner | endpoints | consumers | worker CPU % (run) | sites decoding | join→frame p50 / p95 (ms) | kbps median | loss median / max % |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|');
  for (const perNode of [0, Math.ceil(N / 2)]) {
    const env = { ...base, CLUSTER_SITES_PER_NODE: String(perNode) };
    // Each run from an empty store: its own meeting, no node records of the last run.
    const flush = new Redis(store.redisUrl);
    await flush.flushdb();
    flush.disconnect();
    await createBenchAdmin(base);
    const nodes = [
      await startServiceNode('node-a', 0, 18280, 18300, env),
      await startServiceNode('node-b', NODE_B_CPU, 18281, 18500, env),
    ];
    try {
      const before = await Promise.all(nodes.map((n) => scrapeMetrics(n.url)));
      const out = join(dir, `result-${perNode}.json`);
      const startedAt = performance.now();
      const child = spawnLoadtest(nodes[0]!.url, {
        sites: N,
        light: N - DECODING,
        seconds: SECONDS,
        out,
        env,
      });
      // Steady state, halfway through the window: what each node carries.
      const steady = (async () => {
        await sleep((10 + SECONDS / 2) * 1000 + 8000);
        return Promise.all(nodes.map((n) => scrapeMetrics(n.url).catch(() => [])));
      })();
      const code = await new Promise<number | null>((ok) => child.on('exit', ok));
      const wall = (performance.now() - startedAt) / 1000;
      const after = await Promise.all(nodes.map((n) => scrapeMetrics(n.url)));
      const during = await steady;
      let r: LoadTestResult;
      try {
        r = JSON.parse(readFileSync(out, 'utf8')) as LoadTestResult;
      } catch {
        say(`| ${perNode || 'off'} | — | run failed (exit ${code}) |`);
        continue;
      }
      const ok = r.sites.filter((s) => !s.error);
      const frames = ok.map((s) => s.firstFrameMs).filter((v): v is number => v !== undefined);
      const kbps = ok.map((s) => s.kbps ?? 0);
      const loss = ok.map((s) => s.lossPercent ?? 0);
      const f0 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(0));
      const f2 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
      // The owner is where the main point's station is connected.
      const owner = during.map(
        (m) => metricSum(m, 'diemcau_endpoints_online', { role: 'station' }) > 0,
      );
      nodes.forEach((n, i) => {
        const cpu =
          metricSum(after[i]!, 'diemcau_worker_cpu_seconds_total') -
          metricSum(before[i]!, 'diemcau_worker_cpu_seconds_total');
        // The sites' figures are the run's, shown once.
        const sitesFigures =
          i === 0
            ? `${frames.length} of ${N} | ${f0(percentile(frames, 50))} / ${f0(percentile(frames, 95))} | ${f0(percentile(kbps, 50))} | ${f2(percentile(loss, 50))} / ${f2(percentile(loss, 100))}`
            : ' | | |';
        say(
          `| ${perNode || 'off'} | ${n.id} | ${owner[i] ? 'owner' : 'edge'} | ${metricSum(during[i]!, 'diemcau_endpoints_online')} | ${metricSum(during[i]!, 'diemcau_consumers')} | ${f0((cpu / wall) * 100)} | ${sitesFigures} |`,
        );
      });
    } finally {
      for (const n of nodes) await stopServiceNode(n);
    }
  }
} finally {
  await store.close();
  report.write();
}
