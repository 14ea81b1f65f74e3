/**
 * Soak benchmark: one meeting of BENCH_SITES sites (default 400: light sites, BENCH_SPEAKERS of
 * them decoding, default 2) for BENCH_MINUTES (default 60). The floor moves every 2 minutes
 * (between the speakers, who send a camera to every site), 1 % of the sites raise a hand every
 * 10 s and lower it 20 s later, 1 % leave and come back every minute, and the mediasoup worker is
 * killed once (at a quarter of the run, at least 90 s in): the service replaces it and the sites
 * join again, as the page does on `mediaRestarted`. Every 30 s: Node and worker RSS (slope per
 * hour by least squares, the worker's after its replacement); loss per window (5 minutes, 1 when
 * BENCH_MINUTES < 10); at the end, with the floor revoked, the worker's own counts (its dumps:
 * `diemcau_worker_objects`) against the endpoints present. Service on CPU 0, emulator on CPU 1.
 * Window times count from the end of the join ramp; a site's figures start again when it joins again.
 * Usage: flock /tmp/diemcau-heavy.lock npx tsx scripts/bench/soak.ts
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { AdminApi } from '../../loadtest/adminApi.js';
import { type MetricSample, metricSum, percentile, scrapeMetrics } from '../../loadtest/figures.js';
import { issueMeetingLinks } from '../../loadtest/meetingLinks.js';
import type { ReceiveFigures } from '../../loadtest/receiveFigures.js';
import { benchReport } from './benchReport.js';
import { BENCH_ADMIN, run, sleep, startPinnedService } from './pinnedService.js';
import { type Member, Population } from './soakPopulation.js';

const SITES = Number(process.env.BENCH_SITES ?? 400);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 60);
const SPEAKERS = Number(process.env.BENCH_SPEAKERS ?? 2);
const WINDOW_S = MINUTES < 10 ? 60 : 300;
const RAMP_S = 30;
const KILL_AT_S = Math.max(90, (MINUTES * 60) / 4);
const MiB = 2 ** 20;

const report = benchReport('soak');
const { say } = report;

/** Least-squares slope of (t seconds, v) in v per hour. */
function slopePerHour(points: { t: number; v: number }[]): number | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.v - mv), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den ? (num / den) * 3600 : undefined;
}

/** The mediasoup worker: the service's child process (taskset execs node in place). */
function workerPid(servicePid: number): number | undefined {
  const children = readFileSync(`/proc/${servicePid}/task/${servicePid}/children`, 'utf8');
  return children.trim().split(/\s+/).map(Number).find(Boolean);
}

const service = await startPinnedService({
  name: 'soak',
  port: 18380,
  rtcPortBase: 18400,
});
// The emulator (this process, every thread) on CPU 1; the service is on CPU 0.
await run('taskset', ['-a', '-p', '-c', '1', String(process.pid)], process.env);
const api = await AdminApi.login(service.url, BENCH_ADMIN.username, BENCH_ADMIN.password);
const meeting = await api.createTestMeeting(SITES);
const links = await issueMeetingLinks(api, meeting, SITES);
const pop = new Population(service.url, links, SPEAKERS);
const t0 = performance.now();
const now = () => (performance.now() - t0) / 1000;
try {
  say(
    `# soak, ${new Date().toISOString()}: ${SITES} sites (${SPEAKERS} decoding speakers, the rest light) for ${MINUTES} min; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  say(
    '# service (node + 1 mediasoup worker) on CPU 0, emulator (main point, chair, sites) on CPU 1; main point 1280x720 VP8 simulcast + Opus, sites at layer 2',
  );
  await pop.startStationAndChair();
  await Promise.all(
    pop.members.map(async (m) => {
      await sleep((m.index * RAMP_S * 1000) / SITES);
      await pop.join(m);
    }),
  );
  say(`# ${pop.present().length} of ${SITES} sites joined in ${now().toFixed(0)} s`);

  const rss: { t: number; node: number; worker: number; emulator: number }[] = [];
  const windows: string[] = [];
  let marks = new Map<object, ReceiveFigures>();
  let killedAt: number | undefined;
  let killedPid: number | undefined;
  let floorMoves = 0;
  let hands = 0;
  let churned = 0;
  const raised: { m: Member; at: number }[] = [];
  const pick = (k: number, speakers = false) =>
    pop
      .present()
      .filter((m) => m.speaker === speakers)
      .sort(() => Math.random() - 0.5)
      .slice(0, k);
  const onePercent = Math.max(1, Math.round(SITES / 100));

  /** Loss of everything present over the window since the last marks (new joins from zero). */
  const closeWindow = async (label: string) => {
    const next = new Map<object, ReceiveFigures>();
    let packets = 0;
    let lost = 0;
    const perSite: number[] = [];
    for (const m of pop.present()) {
      const f = await m.site!.figures();
      const a = marks.get(m.site!);
      const p = f.videoPackets + f.audioPackets - (a ? a.videoPackets + a.audioPackets : 0);
      const l = f.videoLost + f.audioLost - (a ? a.videoLost + a.audioLost : 0);
      packets += p;
      lost += l;
      if (p + l > 0) perSite.push((l / (p + l)) * 100);
      next.set(m.site!, f);
    }
    marks = next;
    const p95 = percentile(perSite, 95);
    windows.push(
      `| ${label} | ${pop.present().length} | ${packets} | ${((lost / Math.max(1, packets + lost)) * 100).toFixed(3)} | ${p95 === undefined ? '—' : p95.toFixed(2)} | ${percentile(perSite, 100)?.toFixed(2) ?? '—'} |`,
    );
  };
  await closeWindow('join');
  windows.length = 0;

  const end = MINUTES * 60;
  const joinedAt = now();
  for (let second = Math.ceil(joinedAt); second <= end; second++) {
    await sleep(Math.max(0, (second - now()) * 1000));
    const tick = second - Math.ceil(joinedAt);
    if (tick > 0 && tick % 120 === 0 && pop.chair) {
      const speakers = pop.members.filter((m) => m.speaker && m.site?.siteId);
      const next = speakers[floorMoves % Math.max(1, speakers.length)];
      if (next)
        await pop.chair
          .request('grantFloor', { siteId: next.site!.siteId! })
          .then(() => floorMoves++)
          .catch(() => {});
    }
    if (tick % 10 === 5) {
      for (const m of pick(onePercent)) {
        await m.site?.request('raiseHand', {}).catch(() => {});
        raised.push({ m, at: second });
        hands++;
      }
      while (raised.length && raised[0]!.at <= second - 20) {
        const { m } = raised.shift()!;
        await m.site?.request('lowerHand', {}).catch(() => {});
      }
    }
    if (tick > 0 && tick % 60 === 30) {
      for (const m of pick(onePercent)) {
        pop.leave(m);
        churned++;
        setTimeout(() => void pop.join(m), 5000);
      }
    }
    if (killedAt === undefined && second >= KILL_AT_S) {
      killedPid = workerPid(service.process.pid!);
      if (killedPid) {
        process.kill(killedPid, 'SIGKILL');
        killedAt = second;
      }
    }
    if (second % 30 === 0) {
      const m: MetricSample[] = await scrapeMetrics(service.url).catch(() => []);
      rss.push({
        t: second,
        node: metricSum(m, 'diemcau_node_process_resident_memory_bytes') / MiB,
        worker: metricSum(m, 'diemcau_worker_resident_memory_bytes') / MiB,
        emulator: process.memoryUsage().rss / MiB,
      });
    }
    if (tick > 0 && tick % WINDOW_S === 0)
      await closeWindow(
        `${((tick - WINDOW_S) / 60).toFixed(0)}–${(tick / 60).toFixed(0)} min${killedAt !== undefined && killedAt > second - WINDOW_S ? ` (worker killed at ${killedAt} s: what sites received before it left with them)` : ''}`,
      );
  }

  // The end: no floor, no churn in flight; then the worker's own counts.
  await pop.chair?.request('revokeFloor', {}).catch(() => {});
  await sleep(10_000);
  const m = await scrapeMetrics(service.url);
  const objects = (kind: string) => metricSum(m, 'diemcau_worker_objects', { kind });
  const present = pop.present();
  const speakersPresent = present.filter((x) => x.speaker).length;

  say(
    `# events: ${floorMoves} floor moves, ${hands} hands raised (and lowered 20 s later), ${churned} leaves and returns, worker ${killedPid ?? '?'} killed at ${killedAt ?? '—'} s; ${pop.failedJoins} failed joins (retried)`,
  );
  const rec = pop.recoveryMs;
  say(
    `# after the worker was killed: ${rec.length} sites saw whole frames again; lost → frame p50 ${percentile(rec, 50)?.toFixed(0) ?? '—'} ms, p95 ${percentile(rec, 95)?.toFixed(0) ?? '—'} ms, max ${percentile(rec, 100)?.toFixed(0) ?? '—'} ms`,
  );
  say('');
  say('| t (s) | node RSS MiB | worker RSS MiB | emulator RSS MiB |');
  say('|---|---|---|---|');
  for (const r of rss)
    say(
      `| ${r.t}${killedAt !== undefined && r.t >= killedAt && r.t - 30 < killedAt ? ' (worker replaced)' : ''} | ${r.node.toFixed(0)} | ${r.worker.toFixed(0)} | ${r.emulator.toFixed(0)} |`,
    );
  const settled = rss.filter((r) => r.t >= joinedAt + 30);
  const afterKill = settled.filter((r) => killedAt === undefined || r.t >= killedAt + 30);
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
  say('');
  say(
    `RSS slope (least squares, MiB per hour): node ${fmt(slopePerHour(settled.map((r) => ({ t: r.t, v: r.node }))))} over ${settled.length} samples; worker ${fmt(slopePerHour(afterKill.map((r) => ({ t: r.t, v: r.worker }))))} over ${afterKill.length} samples after its replacement; emulator ${fmt(slopePerHour(settled.map((r) => ({ t: r.t, v: r.emulator }))))}`,
  );
  say('');
  say(`| window | sites present | packets | loss % (all) | loss % p95 site | loss % max site |`);
  say('|---|---|---|---|---|---|');
  for (const w of windows) say(w);
  say('');
  say('| at the end | worker dump | expected from the endpoints present |');
  say('|---|---|---|');
  say(`| routers | ${objects('routers')} | 1 |`);
  // Each endpoint one receive transport; the main point and the speakers also one to send.
  say(
    `| transports | ${objects('transports')} | ${present.length + 2 + 1} + speakers who held the floor (≤ ${speakersPresent}) |`,
  );
  say(`| producers | ${objects('producers')} | 2 (the main point's camera and microphone) |`);
  say(
    `| consumers | ${objects('consumers')} | ${pop.consumersHeld()} (held by the emulated endpoints); the service counts ${metricSum(m, 'diemcau_consumers')} |`,
  );
  say(
    `# sites present ${present.length} of ${SITES}; endpoints online (service) ${metricSum(m, 'diemcau_endpoints_online')}`,
  );
} finally {
  pop.close();
  await links.revoke();
  await api.closeTestMeeting(meeting.id).catch(() => {});
  await service.close();
  report.write();
  // libwebrtc for Node crashes while tearing down at exit (see stationProcess.ts).
  process.exit(0);
}
