/**
 * Check-window benchmark: N emulated sites (loadtest/, libwebrtc for Node) are connected and
 * waiting when the check window opens; the server calls them in waves of at most its limit and
 * each answers with a real check (camera and microphone sent, measured by the server, looped
 * back and measured by the site). The service (Node + its mediasoup worker) is pinned to CPU 0,
 * the emulator to CPU 1. Prints how long the window took, the dispatch delay from the opening
 * to each site's turn (p50/p99), the most sites measuring at once (server's and sites' view),
 * the verdicts and the bitrates measured, and each side's CPU.
 * Usage: npx tsx scripts/bench/check-waves.ts [N ...]   (default 400)
 * BENCH_MEASURE_SECONDS (default 2): how long each site sends; BENCH_MIN_KBPS (default 300):
 * the meeting's own bitrate thresholds (the emulator's camera goes at 1.25 × that);
 * CHECK_MAX_CONCURRENT: the limit (default: the service's formula, 5 for one worker).
 * Results go to scripts/bench/results/.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from '../../loadtest/figures.js';
import type { CheckWindowResult } from '../../loadtest/runCheckWindow.js';
import { procUsage } from '../../server/live/liveMetrics.js';
import { BENCH_ADMIN, startPinnedService } from './pinnedService.js';

const counts = process.argv.slice(2).map(Number).filter(Boolean);
const sitesList = counts.length ? counts : [400];
const MEASURE = Number(process.env.BENCH_MEASURE_SECONDS ?? 2);
const MIN_KBPS = Number(process.env.BENCH_MIN_KBPS ?? 300);

const service = await startPinnedService({
  name: 'checks',
  port: 18280,
  rtcPortBase: 18300,
  env: {
    // Each emulated site connects as its own address (X-Forwarded-For), as real sites do: the
    // per-address handshake limit would otherwise hold 400 sites from one address back.
    TRUSTED_PROXIES: '127.0.0.1',
  },
});
const { url, dir, env } = service;
const server = service.process;
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};
const s1 = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
try {
  say(`# check-window benchmark, ${new Date().toISOString()}`);
  say(
    `# service (node + 1 mediasoup worker) on CPU 0, emulator on CPU 1; each site sends a 320x180 15 fps VP8 camera capped at ${Math.round(MIN_KBPS * 1.25)} kbps + Opus for ${MEASURE} s (meeting thresholds: ${MIN_KBPS} kbps each way)`,
  );
  say(
    '| sites | limit | verdicts | window (s) | dispatch p50 / p99 / max (s) | max measuring (server / sites) | mean check (s) | uplink kbps min / median | downlink kbps min / median | bandwidth reasons | join (s) | service CPU % | emulator CPU % |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const n of sitesList) {
    const out = join(dir, `result-${n}.json`);
    const child = spawn(
      'taskset',
      [
        '-c',
        '1',
        'node',
        '--import=tsx',
        'loadtest/check-cli.ts',
        '--url',
        url,
        '--sites',
        String(n),
        '--measure',
        String(MEASURE),
        '--min-kbps',
        String(MIN_KBPS),
        '--camera',
        '320x180x15',
        '--timeout',
        '3600',
        '--user',
        BENCH_ADMIN.username,
        '--distinct-addresses',
        '--json',
        out,
      ],
      {
        env: { ...env, DIEMCAU_ADMIN_PASSWORD: BENCH_ADMIN.password },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    let emulatorCpu = 0;
    const serverCpu0 = server.pid ? (procUsage(server.pid)?.cpuSeconds ?? 0) : 0;
    let serverCpu = serverCpu0;
    const startedAt = performance.now();
    const sampler = setInterval(() => {
      // taskset execs node in place: the pids are the processes'.
      const u = child.pid ? procUsage(child.pid) : undefined;
      if (u) emulatorCpu = u.cpuSeconds;
      const s = server?.pid ? procUsage(server.pid) : undefined;
      if (s) serverCpu = s.cpuSeconds;
    }, 500);
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    clearInterval(sampler);
    const wall = (performance.now() - startedAt) / 1000;
    let r: CheckWindowResult;
    try {
      r = JSON.parse(readFileSync(out, 'utf8')) as CheckWindowResult;
    } catch {
      say(`| ${n} | — | run failed (exit ${code}) |`);
      continue;
    }
    const verdicts = new Map<string, number>();
    for (const s of r.sites)
      verdicts.set(s.verdict ?? 'none', (verdicts.get(s.verdict ?? 'none') ?? 0) + 1);
    const up = r.sites.flatMap((s) => (s.uplinkKbps === undefined ? [] : [s.uplinkKbps]));
    const down = r.sites.flatMap((s) => (s.downlinkKbps === undefined ? [] : [s.downlinkKbps]));
    const bw = r.sites.filter((s) =>
      s.reasons.some((x) => x === 'uplink_low' || x === 'downlink_low'),
    ).length;
    say(
      `| ${n} | ${r.limit ?? '?'} | ${[...verdicts].map(([v, k]) => `${v} ${k}`).join(', ')} | ${s1(r.windowMs)} | ${s1(r.dispatch.p50)} / ${s1(r.dispatch.p99)} / ${s1(r.dispatch.max)} | ${r.maxCheckingServer} / ${r.maxCheckingSites} | ${s1(r.meanCheckMs)} | ${percentile(up, 0) ?? '—'} / ${percentile(up, 50) ?? '—'} | ${percentile(down, 0) ?? '—'} / ${percentile(down, 50) ?? '—'} | ${bw} | ${r.joinSeconds} | ${(((serverCpu - serverCpu0) / wall) * 100).toFixed(0)} (node only, avg) | ${((emulatorCpu / wall) * 100).toFixed(0)} (avg) |`,
    );
    const errors = r.sites.filter((s) => s.errors.length > 0);
    if (errors.length)
      say(`#   N=${n}: ${errors.length} sites saw errors, e.g. ${errors[0]!.errors[0]}`);
    if (r.limit !== undefined && r.maxCheckingServer > r.limit)
      say(`#   N=${n}: LIMIT EXCEEDED: ${r.maxCheckingServer} > ${r.limit}`);
  }
} finally {
  await service.close();
  const file = join(
    'scripts',
    'bench',
    'results',
    `check-waves-${new Date().toISOString().slice(0, 16).replace(':', '')}.md`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  process.stdout.write(`written to ${file}\n`);
}
