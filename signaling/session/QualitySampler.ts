import type { MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { Quality } from '../../protocol/socket.js';
import { gradeQuality, type QualityThresholds } from '../quality.js';
import type { Participant } from './Participant.js';

export interface QualitySamplerOptions {
  thresholds: QualityThresholds;
  intervalMs: number;
  participants(): Iterable<Participant>;
  /** Nobody looks at the figures (no chair, IT or station online): skip the worker round trips. */
  watched(): boolean;
  sampled(): void;
}

/** Endpoints sampled at once; bounds the worker requests in flight however large the meeting. */
const PARALLEL = 16;
/** A page's own report counts this long. */
const REPORT_FRESH_MS = 10_000;

/**
 * Samples every online endpoint's quality on a timer: the worker's transport, producer and a
 * receiving consumer's stats, plus what the page reports. Endpoints are sampled in parallel
 * with a bound, and each endpoint's requests go out together, so one sample costs a few round
 * trips' time whatever the number of sites. A sample never overlaps the previous one.
 */
export class QualitySampler {
  private readonly timer: NodeJS.Timeout;
  private readonly previous = new WeakMap<Participant, { packets: number; lost: number }>();
  private running = false;
  private stopped = false;

  constructor(private readonly options: QualitySamplerOptions) {
    this.timer = setInterval(() => void this.sample(), options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    if (this.running || this.stopped || !this.options.watched()) return;
    this.running = true;
    try {
      const queue = [...this.options.participants()];
      const next = async (): Promise<void> => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          if (!p.media || !p.online) {
            p.quality = undefined;
            continue;
          }
          try {
            p.quality = await this.measure(p, p.media);
          } catch {
            // A transport closing mid-sample is normal; the next sample is fresh.
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, next));
      if (!this.stopped) this.options.sampled();
    } finally {
      this.running = false;
    }
  }

  private async measure(p: Participant, media: MediaEndpoint): Promise<Quality> {
    const producers = [...media.producers.values()];
    // The loss and RTT the endpoint sees are read from one consumer per kind: enough for a badge.
    const consumers = [...media.consumers.values()].filter(
      (c, i, all) => all.findIndex((o) => o.kind === c.kind) === i,
    );
    const transports = [...media.transports.values()];
    const [transportStats, producerStats, consumerStats] = await Promise.all([
      Promise.all(transports.map((t) => t.getStats())),
      Promise.all(producers.map((x) => x.getStats())),
      Promise.all(consumers.map((c) => c.getStats())),
    ]);
    let sendKbps = 0;
    let recvKbps = 0;
    let estimateKbps: number | undefined;
    transportStats.forEach(([s], i) => {
      if (!s) return;
      sendKbps += (s.recvBitrate ?? 0) / 1000;
      recvKbps += (s.sendBitrate ?? 0) / 1000;
      // What the SFU's bandwidth estimate (transport-cc) says the link to the endpoint carries:
      // the receive transport's (the send transport's never moves from its start).
      if (transports[i]!.appData.direction === 'recv' && s.availableOutgoingBitrate)
        estimateKbps = s.availableOutgoingBitrate / 1000;
    });
    let packets = 0;
    let lost = 0;
    let jitter = 0;
    producerStats.forEach((stats, i) => {
      const clock = producers[i]!.kind === 'audio' ? 48000 : 90000;
      for (const s of stats) {
        packets += s.packetCount ?? 0;
        lost += s.packetsLost ?? 0;
        jitter = Math.max(jitter, ((s.jitter ?? 0) / clock) * 1000);
      }
    });
    const prev = this.previous.get(p) ?? { packets: 0, lost: 0 };
    this.previous.set(p, { packets, lost });
    const dPackets = Math.max(0, packets - prev.packets);
    const dLost = Math.max(0, lost - prev.lost);
    const lossUpPercent = dPackets + dLost > 0 ? (dLost / (dPackets + dLost)) * 100 : 0;
    let rttMs: number | undefined;
    let lossDown = 0;
    for (const stats of consumerStats) {
      const out = stats.find((s) => s.type === 'outbound-rtp');
      if (out?.roundTripTime) rttMs = Math.max(rttMs ?? 0, out.roundTripTime);
      if (out?.fractionLost) lossDown = Math.max(lossDown, (out.fractionLost / 256) * 100);
    }
    let layer: number | undefined;
    for (const c of media.consumers.values())
      if (c.kind === 'video' && c.currentLayers)
        layer = Math.max(layer ?? 0, c.currentLayers.spatialLayer);
    const reported =
      p.reported && Date.now() - p.reported.at < REPORT_FRESH_MS ? p.reported : undefined;
    const q: Omit<Quality, 'grade'> = {
      sendKbps: Math.round(sendKbps),
      recvKbps: Math.round(reported?.recvKbps ?? recvKbps),
      lossUpPercent: Math.round(lossUpPercent * 10) / 10,
      lossDownPercent: Math.round((reported?.lossDownPercent ?? lossDown) * 10) / 10,
      ...(rttMs !== undefined || reported?.rttMs !== undefined
        ? { rttMs: Math.round(reported?.rttMs ?? rttMs ?? 0) }
        : {}),
      ...(jitter || reported?.jitterMs
        ? { jitterMs: Math.round(Math.max(jitter, reported?.jitterMs ?? 0)) }
        : {}),
      ...(layer !== undefined ? { layer } : {}),
      ...(reported?.path ? { path: reported.path } : {}),
      ...(reported?.relayPort !== undefined ? { relayPort: reported.relayPort } : {}),
      ...(estimateKbps !== undefined ? { estimateKbps: Math.round(estimateKbps) } : {}),
    };
    return { ...q, grade: gradeQuality(q, this.options.thresholds) };
  }
}
