import { describeError } from '../client/request.js';
import { AdminApi } from './adminApi.js';
import { EmulatedEndpoint } from './EmulatedEndpoint.js';
import { type MetricSample, metricSum, percentile, scrapeMetrics, spread } from './figures.js';
import { LightSite } from './LightSite.js';
import { issueMeetingLinks, siteAddress } from './meetingLinks.js';
import type { ReceiveFigures } from './receiveFigures.js';
import { type EmulatedStation, startStation } from './station.js';

export interface LoadTestOptions {
  url: string;
  admin: { username: string; password: string };
  /** The meeting to load; without it a throwaway test meeting with `sites` sites is created. */
  meetingId?: string;
  /** Sites in all: `lightSites` of them light (receive-only, no decoding), the rest decoding. */
  sites: number;
  lightSites?: number;
  /** Seconds over which the sites join (0: all at once). */
  rampSeconds: number;
  /** Seconds of steady state measured once every site joined. */
  durationSeconds: number;
  /** Simulcast layer the sites ask for (a site shows the main point full screen: 2). */
  layer?: 0 | 1 | 2;
  /** Each site from its own address (X-Forwarded-For; the server must trust 127.0.0.1). */
  distinctAddresses?: boolean;
  /** Start the session as chair when it is waiting. Default true. */
  startSession?: boolean;
  /** Give the floor to one site after the measurement and check every site gets its camera. */
  floorCheck?: boolean;
  metricsToken?: string;
  /** Called about once a second with a one-line status. */
  progress?: (line: string) => void;
}

export interface SiteResult {
  siteId: string;
  /** light: checked without decoding (LightSite); decoding: libwebrtc decodes the pictures. */
  kind: 'light' | 'decoding';
  error?: string;
  joinedMs?: number;
  connectedMs?: number;
  firstVideoPacketMs?: number;
  firstFrameMs?: number;
  /** Steady state: received bitrate of the main point's video and audio, and their loss. */
  kbps?: number;
  lossPercent?: number;
  videoPackets?: number;
  audioPackets?: number;
  /** Decoding sites: frames decoded; light sites: frames received whole. */
  framesDecoded?: number;
  /** Light sites: the last key frame's size, temporal layers seen, NACK/PLI they sent. */
  keyFrameSize?: { width: number; height: number };
  temporalLayers?: number[];
  nacksSent?: number;
  plisSent?: number;
}

type Site = EmulatedEndpoint | LightSite;

export interface LoadTestResult {
  meetingId: string;
  requested: number;
  sites: SiteResult[];
  /** Per site and minute at steady state, socket.io messages and bytes both ways. */
  signalingPerSiteMinute: { messages: number; bytes: number };
  floor?: { siteId: string; reached: number; ms: number };
  /** /metrics at the start and the end of the steady-state window. */
  metricsAtStart?: MetricSample[];
  metrics?: MetricSample[];
  measuredSeconds: number;
  /** From the first /metrics scrape to the last (the floor check included). */
  metricsSeconds: number;
  /** Join requests sent again because the first went unanswered. */
  joinRetries: number;
  /** This emulator process (main point, chair, sites) over the steady window: % of one core. */
  emulatorCpuPercent?: number;
  emulatorRssMiB?: number;
  /** The main point's encoder, second by second from the first join to the end. */
  station?: StationSecond[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One load test: issues join links through the admin API (a station, a chair, one technician
 * link per site), runs the emulated main point and sites, measures, and revokes the links.
 */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const { url } = options;
  const progress = options.progress ?? (() => {});
  const api = await AdminApi.login(url, options.admin.username, options.admin.password);
  const meeting = options.meetingId
    ? await api.meeting(options.meetingId)
    : await api.createTestMeeting(options.sites);
  if (meeting.sites.length < options.sites)
    throw new Error(
      `the meeting has ${meeting.sites.length} sites; ${options.sites} were asked for (--create-meeting makes one)`,
    );
  const endpoints: Site[] = [];
  let station: EmulatedStation | undefined;
  const links = await issueMeetingLinks(api, meeting, options.sites);
  try {
    const { stationToken, chairToken, siteIds, siteTokens } = links;

    station = await startStation(url, stationToken);
    const chair = await EmulatedEndpoint.join({ url, token: chairToken });
    endpoints.push(chair);
    if (options.startSession !== false && chair.session?.status === 'waiting')
      await chair.request('startSession', {});

    // The ramp: site i starts at i × ramp / N; joins run concurrently.
    const light = options.lightSites ?? 0;
    const decoding = siteIds.length - light;
    // Decoding sites spread evenly among the light ones (they join throughout the storm).
    const kindOf = (i: number): SiteResult['kind'] =>
      Math.floor(((i + 1) * decoding) / siteIds.length) >
      Math.floor((i * decoding) / siteIds.length)
        ? 'decoding'
        : 'light';
    const results: SiteResult[] = siteIds.map((siteId, i) => ({ siteId, kind: kindOf(i) }));
    const sites: (Site | undefined)[] = new Array(siteIds.length);
    const stationSampler = sampleStation(station);
    const started = performance.now();
    const ticker = setInterval(() => {
      const joined = sites.filter((s) => s && !s.error).length;
      const frames = sites.filter((s) => s?.timings.firstFrameMs !== undefined).length;
      const failed = results.filter((r) => r.error).length;
      progress(
        `${((performance.now() - started) / 1000).toFixed(0)} s: ${joined}/${siteIds.length} joined, ${frames} see video, ${failed} failed`,
      );
    }, 1000);
    const joins = siteIds.map(async (_siteId, i) => {
      await sleep((i * options.rampSeconds * 1000) / siteIds.length);
      try {
        const siteOptions = {
          url,
          token: siteTokens[i]!,
          ...(options.layer !== undefined ? { layer: options.layer } : {}),
          ...(options.distinctAddresses ? { forwardedFor: siteAddress(i) } : {}),
        };
        const site =
          results[i]!.kind === 'light'
            ? await LightSite.join(siteOptions)
            : await EmulatedEndpoint.join(siteOptions);
        sites[i] = site;
        endpoints.push(site);
      } catch (err) {
        results[i]!.error = describeError(err);
      }
    });
    await Promise.all(joins);
    // Until every joined site decoded a frame (or 20 s).
    const waitUntil = performance.now() + 20_000;
    while (
      performance.now() < waitUntil &&
      sites.some((s) => s && !s.error && s.timings.firstFrameMs === undefined)
    )
      await sleep(250);

    // Steady state: figures at the start and end of the window.
    const live = sites.filter((s): s is Site => s !== undefined);
    const before = await Promise.all(live.map((s) => s.figures()));
    const sigBefore = live.map((s) => ({ ...s.signalingFigures }));
    const metricsAtStart = await scrapeMetrics(url, options.metricsToken).catch(() => undefined);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sleep(options.durationSeconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const after = await Promise.all(live.map((s) => s.figures()));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(ticker);
    let messages = 0;
    let bytes = 0;
    live.forEach((s, k) => {
      const a = sigBefore[k]!;
      const b = s.signalingFigures;
      messages += b.messagesIn - a.messagesIn + b.messagesOut - a.messagesOut;
      bytes += b.bytesIn - a.bytesIn + b.bytesOut - a.bytesOut;
    });
    for (let i = 0; i < sites.length; i++) {
      const site = sites[i];
      if (!site) continue;
      const k = live.indexOf(site);
      fillSite(results[i]!, site, before[k]!, after[k]!, seconds);
    }

    const stationSeconds = stationSampler.stop();
    let floor: LoadTestResult['floor'];
    // Light sites only receive: the floor goes to a decoding site, which sends a camera.
    const speaker = sites.find((s) => s instanceof EmulatedEndpoint && !s.error);
    if (options.floorCheck && speaker?.siteId) {
      const t = performance.now();
      await chair.request('grantFloor', { siteId: speaker.siteId });
      const others = live.filter((s) => s !== speaker);
      const until = t + 15_000;
      let reached = 0;
      while (performance.now() < until) {
        reached = others.filter((s) => s.receivedSources('site').includes('camera')).length;
        if (reached === others.length) break;
        await sleep(100);
      }
      floor = { siteId: speaker.siteId, reached, ms: Math.round(performance.now() - t) };
      await chair.request('revokeFloor', {});
    }

    const metrics = await scrapeMetrics(url, options.metricsToken).catch(() => undefined);
    const metricsEnd = performance.now();
    return {
      meetingId: meeting.id,
      requested: options.sites,
      sites: results,
      signalingPerSiteMinute: {
        messages: live.length ? (messages / live.length / seconds) * 60 : 0,
        bytes: live.length ? (bytes / live.length / seconds) * 60 : 0,
      },
      ...(floor ? { floor } : {}),
      ...(metricsAtStart ? { metricsAtStart } : {}),
      ...(metrics ? { metrics } : {}),
      measuredSeconds: seconds,
      metricsSeconds: (metricsEnd - t0) / 1000,
      joinRetries: live.reduce((n, s) => n + s.joinRetries, 0),
      station: stationSeconds,
      emulatorCpuPercent: (cpu.user + cpu.system) / 1e4 / seconds,
      emulatorRssMiB: process.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    for (const e of endpoints) e.close();
    station?.close();
    await links.revoke();
    if (!options.meetingId) await api.closeTestMeeting(meeting.id).catch(() => {});
  }
}

function fillSite(
  r: SiteResult,
  site: Site,
  a: ReceiveFigures,
  b: ReceiveFigures,
  seconds: number,
): void {
  if (site.error) r.error = site.error;
  const t = site.timings;
  if (t.joinedMs !== undefined) r.joinedMs = t.joinedMs;
  if (t.connectedMs !== undefined) r.connectedMs = t.connectedMs;
  if (t.firstVideoPacketMs !== undefined) r.firstVideoPacketMs = t.firstVideoPacketMs;
  if (t.firstFrameMs !== undefined) r.firstFrameMs = t.firstFrameMs;
  const packets = b.videoPackets - a.videoPackets + b.audioPackets - a.audioPackets;
  const lost = b.videoLost - a.videoLost + b.audioLost - a.audioLost;
  r.kbps = Math.round(
    ((b.videoBytes - a.videoBytes + b.audioBytes - a.audioBytes) * 8) / seconds / 1000,
  );
  r.lossPercent = packets + lost > 0 ? (lost / (packets + lost)) * 100 : 0;
  r.videoPackets = b.videoPackets - a.videoPackets;
  r.audioPackets = b.audioPackets - a.audioPackets;
  r.framesDecoded = b.framesDecoded - a.framesDecoded;
  if (site instanceof LightSite) {
    const m = site.mediaCheck();
    if (m.keyFrameSize) r.keyFrameSize = m.keyFrameSize;
    r.temporalLayers = m.temporalLayers;
    r.nacksSent = m.nacksSent;
    r.plisSent = m.plisSent;
  }
}

export interface StationSecond {
  /** Seconds since the sampling started (the first site's join). */
  t: number;
  /** Keyframe requests that reached the encoder (PLI, FIR) and key frames it encoded, this second. */
  pli: number;
  fir: number;
  keyFrames: number;
  /** Frames encoded this second, all layers. */
  frames: number;
  kbps: number;
}

/** The main point's encoder every second (libwebrtc's outbound-rtp stats, all layers). */
function sampleStation(station: EmulatedStation): { stop(): StationSecond[] } {
  const out: StationSecond[] = [];
  const t0 = performance.now();
  let prev: Awaited<ReturnType<EmulatedEndpoint['sendCounters']>> | undefined;
  let prevAt = t0;
  const timer = setInterval(async () => {
    const c = await station.endpoint.sendCounters().catch(() => undefined);
    const at = performance.now();
    if (c && prev)
      out.push({
        t: Math.round((at - t0) / 1000),
        pli: c.pliCount - prev.pliCount,
        fir: c.firCount - prev.firCount,
        keyFrames: c.keyFramesEncoded - prev.keyFramesEncoded,
        frames: c.framesEncoded - prev.framesEncoded,
        kbps: Math.round(((c.bytesSent - prev.bytesSent) * 8) / (at - prevAt)),
      });
    if (c) {
      prev = c;
      prevAt = at;
    }
  }, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      return out;
    },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The final table, as lines of text. */
export function formatResult(result: LoadTestResult): string[] {
  const ok = result.sites.filter((s) => !s.error && s.firstFrameMs !== undefined);
  const failed = result.sites.filter((s) => s.error);
  const fmt = (v: number | undefined, digits = 0) => (v === undefined ? '—' : v.toFixed(digits));
  const row = (label: string, values: number[], unit: string, digits = 0) => {
    const s = spread(values);
    return `${label.padEnd(34)} ${fmt(s.min, digits).padStart(8)} ${fmt(s.median, digits).padStart(8)} ${fmt(s.max, digits).padStart(8)}  ${unit}`;
  };
  const pick = (f: (s: SiteResult) => number | undefined) =>
    result.sites.map(f).filter((v): v is number => v !== undefined);
  const joinMs = pick((s) => s.joinedMs);
  const frameMs = pick((s) => s.firstFrameMs);
  const lightCount = result.sites.filter((s) => s.kind === 'light').length;
  const lines = [
    `Meeting ${result.meetingId}: ${ok.length}/${result.requested} sites joined and got whole video frames (${lightCount} light, ${result.requested - lightCount} decoding), ${failed.length} failed`,
    `Join (socket → join answered): p50 ${fmt(percentile(joinMs, 50))} ms, p95 ${fmt(percentile(joinMs, 95))} ms`,
    `Join → first video frame: p50 ${fmt(percentile(frameMs, 50))} ms, p95 ${fmt(percentile(frameMs, 95))} ms`,
    '',
    `${'per site'.padEnd(34)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)}`,
    row(
      'received from the main point',
      pick((s) => s.kbps),
      'kbit/s',
    ),
    row(
      'packet loss',
      pick((s) => s.lossPercent),
      '%',
      2,
    ),
    row(
      'frames decoded (light: whole) / s',
      pick((s) => (s.framesDecoded ?? 0) / result.measuredSeconds),
      'fps',
      1,
    ),
    row(
      'time to first video packet',
      pick((s) => s.firstVideoPacketMs),
      'ms',
    ),
    '',
    `Signaling per site per minute (steady state): ${result.signalingPerSiteMinute.messages.toFixed(1)} messages, ${(result.signalingPerSiteMinute.bytes / 1024).toFixed(1)} KiB`,
  ];
  const sizes = new Map<string, number>();
  for (const r of result.sites)
    if (r.keyFrameSize) {
      const k = `${r.keyFrameSize.width}×${r.keyFrameSize.height}`;
      sizes.set(k, (sizes.get(k) ?? 0) + 1);
    }
  if (lightCount)
    lines.push(
      `Light sites: last key frame ${[...sizes].map(([k, n]) => `${k} at ${n}`).join(', ') || '—'}; NACKs sent ${sum(result.sites.map((s) => s.nacksSent ?? 0))}, PLIs sent ${sum(result.sites.map((s) => s.plisSent ?? 0))}`,
    );
  if (result.station?.length) {
    const st = result.station;
    const requests = st.map((x) => x.pli + x.fir);
    const keys = st.map((x) => x.keyFrames);
    lines.push(
      `Main point's encoder (${st.length} s from the first join): keyframe requests heard ${sum(requests)} (max ${Math.max(...requests)}/s), key frames sent ${sum(keys)} (max ${Math.max(...keys)}/s), frames encoded (3 layers) ${spread(st.map((x) => x.frames)).median}/s, bitrate ${spread(st.map((x) => x.kbps)).min}–${spread(st.map((x) => x.kbps)).max} kbit/s`,
    );
  }
  if (result.floor)
    lines.push(
      `Floor to ${result.floor.siteId}: its camera reached ${result.floor.reached}/${ok.length - 1} other sites in ${result.floor.ms} ms`,
    );
  if (result.metrics) {
    const m = result.metrics;
    const meeting = { meeting: result.meetingId };
    lines.push(
      '',
      'Server (/metrics):',
      `  sites online ${metricSum(m, 'diemcau_endpoints_online', { ...meeting, role: 'site' })}, consumers ${metricSum(m, 'diemcau_consumers', meeting)}, producers ${metricSum(m, 'diemcau_producers', meeting)}`,
      `  bitrate out ${(metricSum(m, 'diemcau_bitrate_out_kbps', meeting) / 1000).toFixed(1)} Mbit/s, in ${(metricSum(m, 'diemcau_bitrate_in_kbps', meeting) / 1000).toFixed(1)} Mbit/s, worst site loss ${metricSum(m, 'diemcau_loss_down_max_percent', { ...meeting, role: 'site' })} %`,
    );
    for (const s of m.filter((x) => x.name === 'diemcau_worker_resident_memory_bytes'))
      lines.push(
        `  worker ${s.labels.worker}: ${(s.value / 2 ** 20).toFixed(0)} MiB, ${metricSum(m, 'diemcau_worker_cpu_seconds_total', { worker: s.labels.worker! }).toFixed(1)} CPU s, ${metricSum(m, 'diemcau_worker_consumers', { worker: s.labels.worker! })} consumers`,
      );
  }
  for (const f of failed.slice(0, 10)) lines.push(`  failed ${f.siteId}: ${f.error}`);
  return lines;
}
