import { describeError } from '../client/request.js';
import type { CheckProgress, MeetingCheckThresholds } from '../protocol/check/queue.js';
import { AdminApi } from './adminApi.js';
import { EmulatedEndpoint } from './EmulatedEndpoint.js';
import { percentile } from './figures.js';
import { EmulatedTechnician } from './siteCheck.js';

/*
 * A check window for N emulated sites, end to end through the real service: a throwaway
 * meeting (with its own thresholds), one technician link per site, every site connected and
 * waiting, then the window opened by moving the meeting's check time (its BullMQ job opens it).
 * Each site answers its turn with a real check. Records who was called when, who measured at
 * once (as the emulator saw it and as the server's progress said), and each verdict.
 */

export interface CheckWindowOptions {
  url: string;
  admin: { username: string; password: string };
  sites: number;
  /** How long each site sends for (ms). */
  measureMs: number;
  camera: { width: number; height: number; fps: number };
  thresholds?: MeetingCheckThresholds;
  /**
   * Sites (1-based, in the meeting's order) whose page drops out as the window opens and comes
   * back after `backAfterMs`, or once every other site has its verdict ('last').
   */
  drops?: { site: number; backAfterMs: number | 'last' }[];
  /** Each site from its own address (X-Forwarded-For; the server must trust 127.0.0.1). */
  distinctAddresses?: boolean;
  /** Sites connecting at once while joining. */
  joinConcurrency?: number;
  timeoutMs: number;
  progress?: (line: string) => void;
}

export interface SiteCheckLog {
  site: number;
  siteId: string;
  dropped: boolean;
  /** ms after the window opened: first called, check accepted, verdict stored. */
  calledMs?: number;
  begunMs?: number;
  finishedMs?: number;
  verdict?: string;
  reasons: string[];
  uplinkKbps?: number;
  downlinkKbps?: number;
  /** Every place in line the site was told. */
  places: number[];
  errors: string[];
}

export interface CheckWindowResult {
  meetingId: string;
  limit?: number;
  sites: SiteCheckLog[];
  joinSeconds: number;
  /** Window opened → last verdict (ms). */
  windowMs?: number;
  /** Most sites measuring at once: from the server's progress, and from the sites' own timings. */
  maxCheckingServer: number;
  maxCheckingSites: number;
  /** Window opened → first called, sites that never dropped out (ms). */
  dispatch: { p50?: number; p99?: number; max?: number };
  meanCheckMs?: number;
  /** The last site's beginCheck out of turn: the server's answer. */
  outOfTurn?: string;
  lastProgress?: CheckProgress;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]) as [number, number][];
  // Ends before starts at the same instant: a slot handed over is not two at once.
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) {
    now += d;
    max = Math.max(max, now);
  }
  return max;
}

export async function runCheckWindow(o: CheckWindowOptions): Promise<CheckWindowResult> {
  const say = o.progress ?? (() => {});
  const api = await AdminApi.login(o.url, o.admin.username, o.admin.password);
  let meeting = await api.createTestMeeting(o.sites);
  if (o.thresholds) meeting = await api.updateMeeting(meeting, { checkThresholds: o.thresholds });
  const siteIds = meeting.sites.slice(0, o.sites).map((s) => s.siteId);
  const issued: string[] = [];
  const techs: EmulatedTechnician[] = [];
  const all: EmulatedEndpoint[] = [];
  let openedAt: number | undefined;
  const tokens = new Map<string, string>();
  const tech = async (siteId: string) => {
    const i = siteIds.indexOf(siteId);
    const ep = await EmulatedEndpoint.join({
      url: o.url,
      token: tokens.get(siteId)!,
      deferMedia: true,
      ...(o.distinctAddresses
        ? { forwardedFor: `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}` }
        : {}),
    });
    all.push(ep);
    ep.socket.on('checkWindowChanged', (e: { open: boolean }) => {
      if (e.open) openedAt ??= performance.now();
    });
    return new EmulatedTechnician(ep, {
      measureMs: o.measureMs,
      camera: o.camera,
      releaseMedia: true,
    });
  };
  try {
    for (let i = 0; i < siteIds.length; i += 25) {
      const batch = siteIds.slice(i, i + 25).map(async (siteId) => {
        const link = await api.issueLink(meeting.id, { role: 'technician', siteId });
        issued.push(link.link.id);
        tokens.set(siteId, link.token);
      });
      await Promise.all(batch);
    }
    const joinStart = performance.now();
    const step = o.joinConcurrency ?? 20;
    for (let i = 0; i < siteIds.length; i += step) {
      techs.push(...(await Promise.all(siteIds.slice(i, i + step).map(tech))));
      say(`joined ${techs.length}/${siteIds.length}`);
    }
    const joinSeconds = (performance.now() - joinStart) / 1000;

    // The window opens through its job: the check time moves to now.
    meeting = await api.meeting(meeting.id);
    await api.updateMeeting(meeting, { checkAt: new Date(Date.now() + 1000).toISOString() });
    let maxCheckingServer = 0;
    let lastProgress: CheckProgress | undefined;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const p = await api.checkProgress(meeting.id).catch(() => undefined);
        if (p?.active) {
          lastProgress = p;
          maxCheckingServer = Math.max(maxCheckingServer, p.checking);
        }
        // Once a second: the API's request limit is per address, shared with the link issuing.
        await sleep(1000);
      }
    })();
    const deadline = performance.now() + o.timeoutMs;
    while (openedAt === undefined) {
      if (performance.now() > deadline) throw new Error('the check window did not open');
      await sleep(20);
    }
    const t0 = openedAt;
    say('window open');

    const drops = new Map((o.drops ?? []).map((d) => [siteIds[d.site - 1]!, d]));
    const current = new Map(siteIds.map((id, i) => [id, techs[i]!]));
    const history = new Map(siteIds.map((id, i) => [id, [techs[i]!]]));
    const rejoin = async (siteId: string) => {
      const t = await tech(siteId);
      current.set(siteId, t);
      history.get(siteId)!.push(t);
    };
    const later: Promise<void>[] = [];
    for (const [siteId, d] of drops) {
      current.get(siteId)!.endpoint.close();
      if (d.backAfterMs !== 'last') later.push(sleep(d.backAfterMs).then(() => rejoin(siteId)));
    }

    // Out of turn: the last site asks to begin at once.
    let outOfTurn: string | undefined;
    const lastId = siteIds.at(-1)!;
    if (!drops.has(lastId) && siteIds.length > 1)
      outOfTurn = await current
        .get(lastId)!
        .endpoint.request('beginCheck', {})
        .then(
          () => 'accepted',
          (err: unknown) => describeError(err),
        );

    await Promise.all(later);
    const waitFor = async (ids: string[]) => {
      let done = 0;
      await Promise.all(
        ids.map(async (id) => {
          await current.get(id)!.verdict(Math.max(1000, deadline - performance.now()));
          if (++done % 25 === 0) say(`verdicts ${done}/${ids.length}`);
        }),
      );
    };
    const firstRound = siteIds.filter((id) => drops.get(id)?.backAfterMs !== 'last');
    await waitFor(firstRound).catch((err) => say(`not every site got a verdict: ${err.message}`));
    const lastRound = siteIds.filter((id) => drops.get(id)?.backAfterMs === 'last');
    for (const id of lastRound) await rejoin(id);
    await waitFor(lastRound).catch((err) => say(`not every site got a verdict: ${err.message}`));
    polling = false;
    await poller;

    const logs: SiteCheckLog[] = siteIds.map((siteId, i) => {
      const ts = history.get(siteId)!;
      const final = ts.at(-1)!;
      const called = ts.flatMap((t) => t.log.requestedAt).filter((x) => x >= t0);
      const r = final.log.result;
      const rel = (x: number | undefined) => (x === undefined ? undefined : Math.round(x - t0));
      return {
        site: i + 1,
        siteId,
        dropped: drops.has(siteId),
        ...(called.length ? { calledMs: rel(Math.min(...called)) } : {}),
        ...(final.log.begunAt !== undefined ? { begunMs: rel(final.log.begunAt) } : {}),
        ...(final.log.finishedAt !== undefined ? { finishedMs: rel(final.log.finishedAt) } : {}),
        ...(r
          ? {
              verdict: r.verdict,
              uplinkKbps: r.figures.uplink.kbps,
              downlinkKbps: r.figures.downlink.kbps,
            }
          : {}),
        reasons: r?.reasons.map((x) => x.code) ?? [],
        places: ts.flatMap((t) => t.log.queued.flatMap((q) => (q.position ? [q.position] : []))),
        errors: ts.flatMap((t) => t.log.errors),
      };
    });
    const finished = logs.map((l) => l.finishedMs).filter((x): x is number => x !== undefined);
    const dispatch = logs
      .filter((l) => !l.dropped && l.calledMs !== undefined)
      .map((l) => l.calledMs!);
    const durations = logs
      .filter((l) => l.begunMs !== undefined && l.finishedMs !== undefined)
      .map((l) => l.finishedMs! - l.begunMs!);
    return {
      meetingId: meeting.id,
      ...(lastProgress ? { limit: lastProgress.limit, lastProgress } : {}),
      sites: logs,
      joinSeconds: Math.round(joinSeconds * 10) / 10,
      ...(finished.length ? { windowMs: Math.max(...finished) } : {}),
      maxCheckingServer,
      maxCheckingSites: maxOverlap(
        logs
          .filter((l) => l.begunMs !== undefined && l.finishedMs !== undefined)
          .map((l) => [l.begunMs!, l.finishedMs!]),
      ),
      dispatch: {
        ...(dispatch.length
          ? {
              p50: percentile(dispatch, 50),
              p99: percentile(dispatch, 99),
              max: percentile(dispatch, 100),
            }
          : {}),
      },
      ...(durations.length
        ? { meanCheckMs: Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) }
        : {}),
      ...(outOfTurn !== undefined ? { outOfTurn } : {}),
    };
  } finally {
    for (const ep of all) ep.close();
    await api.closeTestMeeting(meeting.id).catch(() => {});
    await Promise.all(issued.map((id) => api.revokeLink(meeting.id, id).catch(() => {})));
  }
}
