/**
 * Sites benchmark: N emulated sites (loadtest/: light sites, or libwebrtc decoding ones) join one
 * meeting within 10 s (the join storm), then the steady state is measured. The service (Node + its mediasoup
 * worker) is pinned to CPU 0, the emulator to CPU 1. Prints, per N: worker CPU per forwarded
 * packet, the service's Node CPU and RSS per site, signaling per site per minute, join storm
 * p50/p95 (join → first decoded frame), failed joins, loss; and the emulator's own CPU.
 * Usage: npx tsx scripts/bench/sites.ts [N ...]   (default 25 50 100)
 * BENCH_SECONDS (default 15) is the steady-state window; BENCH_DECODING (default 0) how many of
 * the N sites decode (the rest are light; "all": every one); results go to scripts/bench/results/.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { metricSum, percentile, scrapeMetrics } from '../../loadtest/figures.js';
import type { LoadTestResult } from '../../loadtest/runLoadTest.js';
import { procUsage } from '../../server/live/liveMetrics.js';
import { benchReport } from './benchReport.js';
import { run, spawnLoadtest, startPinnedService } from './pinnedService.js';

const counts = process.argv.slice(2).map(Number).filter(Boolean);
const sitesList = counts.length ? counts : [25, 50, 100];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const decodingOf = (n: number) =>
  process.env.BENCH_DECODING === 'all' ? n : Math.min(n, Number(process.env.BENCH_DECODING ?? 0));

/** The same emulated sites against bare mediasoup (bareSfu.ts on CPU 0, bareSites.ts on CPU 1). */
async function bareBaseline(
  n: number,
): Promise<{ usPerPacket: number; joined: number } | undefined> {
  const bare = spawn(
    'taskset',
    ['-c', '0', 'node', '--import=tsx', 'scripts/bench/bareSfu.ts', '18090', '18190'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((ok, fail) => {
      bare.stdout!.once('data', () => ok());
      bare.once('exit', () => fail(new Error('bareSfu exited')));
    });
    const out = await run(
      'taskset',
      [
        '-c',
        '1',
        'node',
        '--import=tsx',
        'scripts/bench/bareSites.ts',
        'http://127.0.0.1:18090',
        String(n),
        String(SECONDS),
        String(n - decodingOf(n)),
      ],
      process.env,
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      frames: number;
      packets: number;
      workerCpuSeconds: number;
    };
    return { usPerPacket: (r.workerCpuSeconds / r.packets) * 1e6, joined: r.frames };
  } catch (err) {
    process.stderr.write(`bare baseline N=${n}: ${(err as Error).message}\n`);
    return undefined;
  } finally {
    bare.kill('SIGTERM');
    await new Promise((ok) => bare.once('exit', ok));
  }
}

const service = await startPinnedService({
  name: 'sites',
  port: 18080,
  rtcPortBase: 18100,
  env: {
    MAX_CONSUMERS_PER_ROUTER: '5000',
  },
});
const { url, dir, env } = service;
const _server = service.process;
const report = benchReport('sites');
const { say } = report;
try {
  const idle = await scrapeMetrics(url);
  const idleRss = metricSum(idle, 'diemcau_node_process_resident_memory_bytes');
  say(`# sites benchmark, ${new Date().toISOString()}, steady window ${SECONDS} s`);
  say(
    '# service (node + 1 mediasoup worker) on CPU 0, emulator on CPU 1; station 1280x720 VP8 simulcast 3 layers + Opus; sites take layer 2',
  );
  say(
    `# sites: light (receive-only, no decoding) except BENCH_DECODING=${process.env.BENCH_DECODING ?? 0} decoding; KEYFRAME_REQUEST_DELAY_MS=${process.env.KEYFRAME_REQUEST_DELAY_MS ?? 'default (1000)'}`,
  );
  say(
    '| sites (light+decoding) | joined | failed | storm join→frame p50 / p95 (ms) | keyframe requests at the station: total, max/s | key frames sent: total, max/s | worker µs CPU / fwd pkt | bare mediasoup µs / fwd pkt (joined) | ratio | worker CPU % | node CPU % / 100 sites | node RSS MiB (+ per 100 sites) | signaling msgs / site / min | KiB / site / min | loss min / median / max % | site kbps min / median / max | emulator CPU % (steady) | emulator RSS MiB | load avg |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const n of sitesList) {
    const out = join(dir, `result-${n}.json`);
    const child = spawnLoadtest(url, {
      sites: n,
      light: n - decodingOf(n),
      seconds: SECONDS,
      out,
      env,
    });
    const load = loadavg()[0]!;
    // The emulator's own CPU: its process's time, sampled until it exits.
    let emulatorCpu = 0;
    const startedAt = performance.now();
    const sampler = setInterval(() => {
      // taskset execs node in place: the pid is the emulator's.
      const u = child.pid ? procUsage(child.pid) : undefined;
      if (u) emulatorCpu = u.cpuSeconds;
    }, 500);
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    clearInterval(sampler);
    const wall = (performance.now() - startedAt) / 1000;
    let r: LoadTestResult;
    try {
      r = JSON.parse(readFileSync(out, 'utf8')) as LoadTestResult;
    } catch {
      say(`| ${n} | — | run failed (exit ${code}) |`);
      continue;
    }
    const a = r.metricsAtStart ?? [];
    const b = r.metrics ?? [];
    const dWorker =
      metricSum(b, 'diemcau_worker_cpu_seconds_total') -
      metricSum(a, 'diemcau_worker_cpu_seconds_total');
    const dNode =
      metricSum(b, 'diemcau_node_process_cpu_seconds_total') -
      metricSum(a, 'diemcau_node_process_cpu_seconds_total');
    const rss = metricSum(b, 'diemcau_node_process_resident_memory_bytes');
    const ok = r.sites.filter((s) => !s.error);
    const packets = ok.reduce((t, s) => t + (s.videoPackets ?? 0) + (s.audioPackets ?? 0), 0);
    const fwdPackets = (packets * r.metricsSeconds) / r.measuredSeconds;
    const frames = ok.map((s) => s.firstFrameMs).filter((v): v is number => v !== undefined);
    const loss = ok.map((s) => s.lossPercent ?? 0);
    const kbps = ok.map((s) => s.kbps ?? 0);
    const f1 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
    const usPerPacket = (dWorker / fwdPackets) * 1e6;
    const bare = await bareBaseline(n);
    const f0 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(0));
    const st = r.station ?? [];
    const requests = st.map((x) => x.pli + x.fir);
    const keys = st.map((x) => x.keyFrames);
    const sum = (v: number[]) => v.reduce((a2, b2) => a2 + b2, 0);
    const spreadOf = (v: number[], d: number) =>
      v.length
        ? `${percentile(v, 0)!.toFixed(d)} / ${percentile(v, 50)!.toFixed(d)} / ${percentile(v, 100)!.toFixed(d)}`
        : '—';
    say(
      `| ${n} (${n - decodingOf(n)}+${decodingOf(n)}) | ${frames.length} | ${r.sites.length - ok.length} | ${f0(percentile(frames, 50))} / ${f0(percentile(frames, 95))} | ${sum(requests)}, ${requests.length ? Math.max(...requests) : '—'} | ${sum(keys)}, ${keys.length ? Math.max(...keys) : '—'} | ${f1(usPerPacket)} | ${bare ? `${f1(bare.usPerPacket)} (${bare.joined})` : '—'} | ${bare ? (usPerPacket / bare.usPerPacket).toFixed(2) : '—'} | ${f0((dWorker / r.metricsSeconds) * 100)} | ${f1(((dNode / r.metricsSeconds) * 100 * 100) / n)} | ${f0(rss / 2 ** 20)} (+${f1((((rss - idleRss) / 2 ** 20) * 100) / n)}) | ${f1(r.signalingPerSiteMinute.messages)} | ${f1(r.signalingPerSiteMinute.bytes / 1024)} | ${spreadOf(loss, 2)} | ${spreadOf(kbps, 0)} | ${f0(r.emulatorCpuPercent)} (run avg ${f0((emulatorCpu / wall) * 100)}) | ${f0(r.emulatorRssMiB)} | ${load.toFixed(1)}–${loadavg()[0]!.toFixed(1)} |`,
    );
    if (st.length)
      say(
        `#   N=${n} main point per second from the first join: keyframe requests [${requests.join(' ')}], key frames [${keys.join(' ')}], kbps [${st.map((x) => x.kbps).join(' ')}]`,
      );
    if (r.joinRetries)
      say(`#   N=${n}: ${r.joinRetries} join requests went unanswered and were re-sent`);
  }
} finally {
  await service.close();
  report.write();
}
