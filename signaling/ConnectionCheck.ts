import { randomUUID } from 'node:crypto';
import type { MediaLogger } from '../media/MediaLogger.js';
import {
  type CheckResult,
  type CheckThresholds,
  type ClientFigures,
  evaluateCheck,
  type UplinkFigures,
} from '../protocol/check/index.js';
import { assessCheck, type BandwidthFigure } from '../protocol/check/score.js';
import { siteEndpointId } from '../protocol/endpoints.js';
import { badRequest, conflict, forbidden, notFound } from '../protocol/errors.js';
import type { ChecklistInput, SiteReadiness } from '../protocol/readiness.js';
import type { NotificationName, NotificationPayload } from '../protocol/socket.js';
import type { Participant } from './session/Participant.js';

export type CheckKind = CheckResult['kind'];

/** Persistence of the check, per meeting; the server's readiness layer implements it. */
export interface CheckHooks {
  /** The kind of check this site may run now; throws a 409 outside any window. */
  allowed(siteId: string): Promise<CheckKind>;
  begun(siteId: string): Promise<void>;
  aborted(siteId: string): Promise<void>;
  completed(siteId: string, result: CheckResult): Promise<SiteReadiness>;
  checklist(siteId: string, input: ChecklistInput, by: string): Promise<SiteReadiness>;
  /** IT asked this site to check now: open an on-demand allowance. */
  requested(siteId: string): Promise<void>;
  /** The meeting's own thresholds (absent: the session's). */
  thresholds?(): Promise<CheckThresholds>;
  /** The downlink the site's last check measured (its receive estimate starts near it). */
  downlink?(siteId: string): Promise<BandwidthFigure | undefined>;
}

export interface ConnectionCheckOptions {
  hooks: CheckHooks;
  thresholds: CheckThresholds;
  /** How long the page sends and receives for (ms). Default 10 s. */
  measureMs?: number;
  /**
   * How long a check waits for its page after the page's connection dropped (ms): a page starved
   * of CPU misses a heartbeat and comes back within seconds. Default 45 s.
   */
  graceMs?: number;
  logger: MediaLogger;
  /** The meeting's sites (id → name). */
  sites(): ReadonlyMap<string, string>;
  participant(endpointId: string): Participant | undefined;
  /** Loop the site's own camera and microphone back to it (check mode) or stop. */
  setLoopback(p: Participant, on: boolean): void;
  emitTo<N extends NotificationName>(
    p: Participant,
    name: N,
    payload: NotificationPayload<N>,
  ): void;
}

interface Running {
  checkId: string;
  siteId: string;
  kind: CheckKind;
  startedAt: number;
  /** Judged by the thresholds in force when it began. */
  thresholds: CheckThresholds;
  uplink?: UplinkFigures;
  /** Received while the page forced its probe rate: the link's bandwidth. */
  probe?: UplinkFigures;
  /** How often the page's connection dropped during this check. */
  drops: number;
  /** Bumped at each drop: a measurement that spans a drop measured nothing. */
  epoch: number;
  /** The page is gone: the check ends when this fires, unless the page comes back first. */
  away?: NodeJS.Timeout;
}

type CheckAnswer = { result: CheckResult; readiness: SiteReadiness };

const notMeasured: UplinkFigures = {
  kbps: 0,
  lossPercent: 0,
  jitterMs: 0,
  packets: 0,
  durationMs: 0,
};

const targetKbpsOf = (t: CheckThresholds) =>
  Math.round(Math.max(t.minUplinkKbps, t.minDownlinkKbps) * 1.25);

/** The floor of the loopback's downlink estimate: the probe rate and room for audio and resends. */
const downlinkFloorKbps = (t: CheckThresholds) => Math.round(targetKbpsOf(t) * 1.25);

const CLOCK_RATE: Record<string, number> = { audio: 48_000, video: 90_000 };

/**
 * The server half of the connection check: admits a check only inside a window (or after an IT
 * request), loops the site's own media back to it for the downlink figures, measures what arrives
 * from the site for the uplink figures, judges the result and hands it to the readiness layer.
 * The page's figures are checked with zod; the uplink figures are never taken from the page.
 */
export class ConnectionCheck {
  private readonly running = new Map<string, Running>();
  /**
   * The last answer to each endpoint's submitCheck: a page whose connection dropped before the
   * answer came asks again with the same id and gets the same answer, not "no such check".
   */
  private readonly answered = new Map<string, { checkId: string; answer: CheckAnswer }>();
  private readonly log: MediaLogger;

  constructor(private readonly options: ConnectionCheckOptions) {
    this.log = options.logger.child({ component: 'connection-check' });
  }

  get measureMs(): number {
    return this.options.measureMs ?? 10_000;
  }

  /** Sends the camera at this rate during the check: enough to prove both thresholds. */
  get targetKbps(): number {
    return targetKbpsOf(this.options.thresholds);
  }

  isChecking(p: Participant): boolean {
    return this.running.has(p.endpointId);
  }

  /** A check of this site is running, or waiting for its page to come back. */
  holds(siteId: string): boolean {
    for (const run of this.running.values()) if (run.siteId === siteId) return true;
    return false;
  }

  /** What the site's last check measured of its downlink (none: never checked). */
  downlinkOf(siteId: string): Promise<BandwidthFigure | undefined> {
    return this.options.hooks.downlink?.(siteId) ?? Promise.resolve(undefined);
  }

  private site(p: Participant): string {
    if (p.role !== 'site' || !p.siteId)
      throw forbidden({
        vi: 'Chỉ điểm cầu mới chạy kiểm tra kết nối',
        en: 'Only a site runs the check',
      });
    return p.siteId;
  }

  private current(p: Participant, checkId: string): Running {
    const run = this.running.get(p.endpointId);
    if (!run || run.checkId !== checkId)
      throw conflict(
        { vi: 'Không có lượt kiểm tra này', en: 'No such check in progress' },
        { checkId },
      );
    // A request for it from the page: the page is back.
    if (run.away) {
      clearTimeout(run.away);
      run.away = undefined;
    }
    return run;
  }

  async begin(p: Participant) {
    const siteId = this.site(p);
    const kind = await this.options.hooks.allowed(siteId);
    const thresholds = (await this.options.hooks.thresholds?.()) ?? this.options.thresholds;
    const previous = this.running.get(p.endpointId);
    if (previous) {
      clearTimeout(previous.away);
      this.log.info({ siteId }, 'check restarted by the page');
    }
    const run: Running = {
      checkId: randomUUID(),
      siteId,
      kind,
      startedAt: Date.now(),
      thresholds,
      drops: 0,
      epoch: 0,
    };
    this.running.set(p.endpointId, run);
    this.options.setLoopback(p, true);
    this.floorDownlink(p, downlinkFloorKbps(thresholds));
    await this.options.hooks.begun(siteId);
    this.log.info({ siteId, checkId: run.checkId, kind }, 'check begun');
    return {
      checkId: run.checkId,
      kind,
      measureMs: this.measureMs,
      targetKbps: targetKbpsOf(thresholds),
      thresholds: {
        maxRttMs: thresholds.maxRttMs,
        maxLossPercent: thresholds.maxLossPercent,
        maxJitterMs: thresholds.maxJitterMs,
        minUplinkKbps: thresholds.minUplinkKbps,
        minDownlinkKbps: thresholds.minDownlinkKbps,
      },
    };
  }

  /**
   * The page is back after its connection dropped: the check goes on under the same id (its
   * media was re-created by the reconnect; the loopback stayed on for it).
   */
  async resume(p: Participant, checkId: string) {
    const siteId = this.site(p);
    const run = this.current(p, checkId);
    this.options.setLoopback(p, true);
    // The reconnect made a new receive transport: its estimate starts low again.
    this.floorDownlink(p, downlinkFloorKbps(run.thresholds));
    await this.options.hooks.begun(siteId);
    this.log.info({ siteId, checkId, drops: run.drops }, 'check resumed by the page');
    return { checkId, drops: run.drops };
  }

  /** Samples what the server receives from the site's producers for durationMs. */
  async measureUplink(
    p: Participant,
    checkId: string,
    durationMs: number,
    probe = false,
  ): Promise<UplinkFigures> {
    this.site(p);
    const run = this.current(p, checkId);
    const producers = [...(p.media?.producers.values() ?? [])].filter(
      (x) => x.appData.source === 'camera' || x.appData.source === 'microphone',
    );
    if (producers.length === 0)
      throw badRequest({ vi: 'Chưa gửi camera, micro', en: 'Send camera and microphone first' });
    const totals = async () => {
      let bytes = 0;
      let packets = 0;
      let lost = 0;
      let jitterMs = 0;
      for (const producer of producers) {
        if (producer.closed) continue;
        for (const s of await producer.getStats()) {
          bytes += s.byteCount ?? 0;
          packets += s.packetCount ?? 0;
          lost += s.packetsLost ?? 0;
          jitterMs = Math.max(jitterMs, ((s.jitter ?? 0) / CLOCK_RATE[producer.kind]!) * 1000);
        }
      }
      // Every byte the site's transports received (resends and RTCP too): the link's rate.
      let transportBytes = 0;
      for (const transport of p.media?.transports.values() ?? []) {
        if (transport.closed) continue;
        for (const s of await transport.getStats()) transportBytes += s.bytesReceived ?? 0;
      }
      return { bytes, packets, lost, jitterMs, transportBytes, at: Date.now() };
    };
    const epoch = run.epoch;
    const still = () => {
      if (this.running.get(p.endpointId) !== run)
        throw conflict({ vi: 'Lượt kiểm tra đã dừng', en: 'The check stopped' });
      // The page's media closed and came back: what was counted spans a gap.
      if (run.epoch !== epoch)
        throw conflict({
          vi: 'Kết nối bị ngắt trong lúc đo',
          en: 'The connection dropped during the measurement',
        });
    };
    const first = await totals();
    const jitters: number[] = [];
    const deadline = first.at + durationMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
      still();
      jitters.push((await totals()).jitterMs);
    }
    const last = await totals();
    still();
    const elapsed = Math.max(1, last.at - first.at);
    const packets = Math.max(0, last.packets - first.packets);
    const lost = Math.max(0, last.lost - first.lost);
    jitters.sort((a, b) => a - b);
    const uplink: UplinkFigures = {
      kbps: Math.round(((last.bytes - first.bytes) * 8) / elapsed),
      lossPercent: packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0,
      // The median: one late burst should not decide the verdict on its own.
      jitterMs: Math.round(jitters[Math.floor(jitters.length / 2)] ?? last.jitterMs),
      packets,
      durationMs: elapsed,
      // Plus 28 bytes of IP and UDP header per datagram (RTP packets; RTCP and resends are few).
      wireKbps: Math.round(
        ((Math.max(0, last.transportBytes - first.transportBytes) + 28 * packets) * 8) / elapsed,
      ),
    };
    if (probe) run.probe = uplink;
    else run.uplink = uplink;
    return uplink;
  }

  async submit(p: Participant, checkId: string, figures: ClientFigures): Promise<CheckAnswer> {
    const siteId = this.site(p);
    const done = this.answered.get(p.endpointId);
    if (done?.checkId === checkId) return done.answer;
    const run = this.current(p, checkId);
    // A page that could not finish (its connection kept dropping) sends what it has.
    if (!run.uplink && !figures.interrupted)
      throw conflict({
        vi: 'Chưa đo chiều gửi',
        en: 'Measure the uplink (measureUplink) before submitting',
      });
    const all = {
      ...figures,
      uplink: run.uplink ?? notMeasured,
      ...(run.probe ? { uplinkProbe: run.probe } : {}),
      ...(run.drops > 0 ? { drops: run.drops } : {}),
    };
    const { verdict, reasons } = evaluateCheck(all, run.thresholds);
    const finishedAt = Date.now();
    const result: CheckResult = {
      checkId,
      kind: run.kind,
      startedAt: new Date(run.startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - run.startedAt,
      figures: all,
      verdict,
      reasons,
      assessment: assessCheck(all),
    };
    this.stop(p);
    const readiness = await this.options.hooks.completed(siteId, result);
    this.log.info(
      {
        siteId,
        checkId,
        verdict,
        reasons: reasons.map((r) => r.code),
        grade: result.assessment?.grade,
        ms: result.durationMs,
        drops: run.drops,
        ...(figures.interrupted ? { interrupted: true } : {}),
      },
      'check completed',
    );
    const answer = { result, readiness };
    this.answered.set(p.endpointId, { checkId, answer });
    return answer;
  }

  async abort(p: Participant, checkId: string): Promise<void> {
    const siteId = this.site(p);
    this.current(p, checkId);
    this.stop(p);
    await this.options.hooks.aborted(siteId);
  }

  checklist(p: Participant, input: ChecklistInput): Promise<SiteReadiness> {
    return this.options.hooks.checklist(this.site(p), input, p.name);
  }

  /** IT: ask one site or every connected site to check now. */
  async request(siteId: string | undefined) {
    if (siteId !== undefined && !this.options.sites().has(siteId))
      throw notFound({
        vi: `Điểm cầu ${siteId} không thuộc hội nghị`,
        en: `site ${siteId} is not in this meeting`,
      });
    const targets = siteId ? [siteId] : [...this.options.sites().keys()];
    const requested: string[] = [];
    const offline: string[] = [];
    for (const id of targets) {
      const p = this.options.participant(siteEndpointId(id));
      if (!p?.online) {
        offline.push(id);
        continue;
      }
      await this.options.hooks.requested(id);
      this.options.emitTo(p, 'checkRequested', {
        kind: 'on-demand',
        reason: { vi: 'Tổ CNTT yêu cầu kiểm tra ngay', en: 'IT staff asked for a check now' },
      });
      requested.push(id);
    }
    return { requested, offline };
  }

  /**
   * The site's page lost its connection: its check waits for it (a page starved of CPU misses a
   * heartbeat and is back within seconds) and ends without a result if it does not come back.
   * The loopback stays on, so the page's re-created media comes back to it at once.
   */
  participantLeft(p: Participant): void {
    const run = this.running.get(p.endpointId);
    if (!run) return;
    run.drops++;
    run.epoch++;
    clearTimeout(run.away);
    const graceMs = this.options.graceMs ?? 45_000;
    run.away = setTimeout(() => {
      if (this.running.get(p.endpointId) !== run) return;
      this.log.info({ siteId: run.siteId, checkId: run.checkId }, 'check ended: its page is gone');
      this.stop(p);
      void this.options.hooks.aborted(run.siteId).catch(() => {});
    }, graceMs);
    run.away.unref();
    this.log.info(
      { siteId: run.siteId, checkId: run.checkId, drops: run.drops, graceMs },
      'page left during its check: kept for its return',
    );
  }

  private stop(p: Participant): void {
    clearTimeout(this.running.get(p.endpointId)?.away);
    this.running.delete(p.endpointId);
    this.options.setLoopback(p, false);
    this.floorDownlink(p, 0);
  }

  /**
   * The SFU sends the looped-back camera (one VP8 encoding with temporal layers, which mediasoup
   * serves as a simulcast stream) at the layers its downlink estimate allows. That estimate starts
   * at 1.5 Mbps on a receive transport and ramps up slowly, so on a healthy link it left out the
   * top temporal layer (half the frames, a fifth of the bytes) for much of the measurement. During
   * the check the estimate may not fall below the probe rate: every layer is sent and the link,
   * not the estimator, decides what arrives, as the page's forced probe does for the uplink.
   * 0 lifts the floor.
   */
  private floorDownlink(p: Participant, kbps: number): void {
    for (const transport of p.media?.transports.values() ?? []) {
      if (transport.closed || transport.appData.direction !== 'recv') continue;
      transport
        .setMinOutgoingBitrate(kbps * 1000)
        .catch((err: Error) =>
          this.log.warn({ endpointId: p.endpointId, err: err.message }, 'downlink floor not set'),
        );
    }
  }
}
