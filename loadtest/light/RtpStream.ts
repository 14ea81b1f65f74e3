import { parseVp8, type ReportBlock, type RtpHeader } from './rtpWire.js';

/** How long a missing packet is asked for again (NACK) before it counts as lost for good. */
const NACK_GIVE_UP_MS = 1000;
const NACK_RETRY_MS = 100;
const NACK_MAX_MISSING = 200;
/** Like Chrome: at most one keyframe request per stream per this many ms. */
const PLI_INTERVAL_MS = 1000;

export interface StreamFigures {
  packets: number;
  lost: number;
  bytes: number;
  /** Frames whose every packet arrived (first packet to marker, no hole): "decodable". */
  frames: number;
  keyFrames: number;
  nacksSent: number;
  plisSent: number;
  retransmitsUsed: number;
}

/**
 * One received RTP stream (a consumer's SSRC) checked without decoding: sequence numbers (loss,
 * reordering, the rollover counter SRTP needs), the VP8 payload descriptor (frame boundaries,
 * key frames and their size, temporal layer), and what a browser's receiver would answer: NACK
 * for holes, PLI when a frame cannot be completed, receiver-report blocks.
 */
export class RtpStream {
  readonly figures: StreamFigures = {
    packets: 0,
    lost: 0,
    bytes: 0,
    frames: 0,
    keyFrames: 0,
    nacksSent: 0,
    plisSent: 0,
    retransmitsUsed: 0,
  };
  /** performance.now() of the first packet and of the first whole key frame. */
  firstPacketAt?: number;
  firstFrameAt?: number;
  /** Picture size of the last key frame, and the temporal layers seen since. */
  keyFrameSize?: { width: number; height: number };
  readonly temporalLayers = new Set<number>();
  private base = -1;
  private highest = -1;
  private readonly missing = new Map<number, { since: number; lastNack: number }>();
  private frame?: { timestamp: number; start: number; key: boolean };
  private needKeyFrame = true;
  private lastPliAt = -Infinity;
  private lastReport = { expected: 0, received: 0 };
  private jitter = 0;
  private lastTransit?: number;
  private lastSr?: { ntpMiddle: number; at: number };

  constructor(
    readonly ssrc: number,
    readonly kind: 'audio' | 'video',
    private readonly clockRate: number,
    readonly rtxSsrc: number | undefined,
    private readonly send: {
      nack(ssrc: number, seqs: number[]): void;
      pli(ssrc: number): void;
    },
  ) {}

  /** The extended sequence number of a 16-bit one of this stream (RFC 3711 §3.3.1). */
  extend(seq: number): number {
    return extendSeq(this.highest, seq);
  }

  private rtxHighest = -1;

  /** The same for the RTX stream, which has its own sequence numbers. */
  extendRtx(seq: number): number {
    const ext = extendSeq(this.rtxHighest, seq);
    if (ext > this.rtxHighest) this.rtxHighest = ext;
    return ext;
  }

  /** A media packet: `head` is its payload's decrypted start (VP8) or undefined (audio). */
  receive(h: RtpHeader, ext: number, size: number, head: Buffer | undefined, now: number): void {
    this.firstPacketAt ??= now;
    const f = this.figures;
    if (this.base < 0) {
      this.base = ext;
      this.highest = ext - 1;
    }
    if (ext > this.highest) {
      const gap = ext - this.highest - 1;
      if (gap > 0 && this.kind === 'video') {
        const from = Math.max(this.highest + 1, ext - NACK_MAX_MISSING);
        const fresh: number[] = [];
        for (let s = from; s < ext; s++) {
          this.missing.set(s, { since: now, lastNack: now });
          fresh.push(s);
        }
        this.send.nack(this.ssrc, fresh);
        f.nacksSent++;
      }
      this.highest = ext;
    } else if (this.missing.delete(ext)) {
      // Reordered: it arrived after all.
    } else if (ext < this.base || ext <= this.highest) {
      return; // a duplicate
    }
    f.packets++;
    f.bytes += size;
    this.updateJitter(h.timestamp, now);
    if (head) this.frameCheck(h, ext, head, now);
  }

  /** A retransmission (RTX) carrying original sequence number `osn`. */
  recovered(osn: number, size: number): void {
    const ext = this.extend(osn);
    if (!this.missing.delete(ext)) return;
    this.figures.packets++;
    this.figures.bytes += size;
    this.figures.retransmitsUsed++;
  }

  private frameCheck(h: RtpHeader, ext: number, head: Buffer, now: number): void {
    const d = parseVp8(head);
    if (!d) return;
    if (d.temporalLayer !== undefined) this.temporalLayers.add(d.temporalLayer);
    if (d.frameStart) {
      this.frame = { timestamp: h.timestamp, start: ext, key: d.keyFrame === true };
      if (d.keyFrame && d.width && d.height) {
        this.keyFrameSize = { width: d.width, height: d.height };
        this.temporalLayers.clear();
      }
      if (!d.keyFrame && this.needKeyFrame) this.requestKeyFrame(now);
    }
    const frame = this.frame;
    if (!h.marker || !frame || frame.timestamp !== h.timestamp) return;
    this.frame = undefined;
    for (const s of this.missing.keys()) if (s >= frame.start && s <= ext) return;
    this.figures.frames++;
    if (frame.key) {
      this.figures.keyFrames++;
      this.needKeyFrame = false;
      this.firstFrameAt ??= now;
    }
  }

  private requestKeyFrame(now: number): void {
    if (now - this.lastPliAt < PLI_INTERVAL_MS) return;
    this.lastPliAt = now;
    this.figures.plisSent++;
    this.send.pli(this.ssrc);
  }

  /** Every ~100 ms: NACK again what is still missing; give up on what is too old. */
  tick(now: number): void {
    if (this.missing.size === 0) return;
    const again: number[] = [];
    for (const [s, m] of this.missing) {
      if (now - m.since > NACK_GIVE_UP_MS) {
        this.missing.delete(s);
        // A frame with a hole cannot be decoded: the browser asks for a key frame.
        if (this.kind === 'video') {
          this.needKeyFrame = true;
          this.requestKeyFrame(now);
        }
      } else if (now - m.lastNack >= NACK_RETRY_MS) {
        m.lastNack = now;
        again.push(s);
      }
    }
    if (again.length) {
      this.send.nack(this.ssrc, again);
      this.figures.nacksSent++;
    }
  }

  /** The stream's loss so far: expected minus received (as getStats' packetsLost). */
  get lost(): number {
    if (this.base < 0) return 0;
    return Math.max(0, this.highest - this.base + 1 - this.figures.packets);
  }

  senderReport(ntpMiddle: number, now: number): void {
    this.lastSr = { ntpMiddle, at: now };
  }

  /** A receiver-report block for the interval since the last one. */
  reportBlock(now: number): ReportBlock | undefined {
    if (this.base < 0) return undefined;
    const expected = this.highest - this.base + 1;
    const received = this.figures.packets;
    const dExpected = expected - this.lastReport.expected;
    const dLost = dExpected - (received - this.lastReport.received);
    this.lastReport = { expected, received };
    return {
      ssrc: this.ssrc,
      fractionLost: dExpected > 0 && dLost > 0 ? Math.floor((dLost * 256) / dExpected) : 0,
      cumulativeLost: expected - received,
      extendedHighestSeq: this.highest,
      jitter: this.jitter,
      lsr: this.lastSr?.ntpMiddle ?? 0,
      dlsr: this.lastSr ? Math.round(((now - this.lastSr.at) / 1000) * 65536) : 0,
    };
  }

  private updateJitter(timestamp: number, now: number): void {
    const transit = (now / 1000) * this.clockRate - timestamp;
    if (this.lastTransit !== undefined) {
      const d = Math.abs(transit - this.lastTransit);
      if (d < this.clockRate) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }
}

/** A 16-bit sequence number extended near the highest extended one seen (-1: none yet). */
export function extendSeq(highest: number, seq: number): number {
  if (highest < 0) return seq;
  const roc = Math.floor(highest / 65536);
  const hs = highest % 65536;
  let r = roc;
  if (hs < 32768) {
    if (seq - hs > 32768) r = roc - 1;
  } else if (hs - 32768 > seq) r = roc + 1;
  return Math.max(0, r) * 65536 + seq;
}
