import type { ReceiveFigures } from './receiveFigures.js';

/** Where the last stats report stood: the next one reports what came since. */
export interface StatsMark {
  bytes: number;
  packets: number;
  lost: number;
  at: number;
}

/**
 * The `reportStats` a page sends every 2 s, from the receive totals now and at the last mark
 * (none on the first call: only the mark is taken).
 */
export function statsSince(
  f: ReceiveFigures,
  prev: StatsMark | undefined,
  now: number,
): {
  mark: StatsMark;
  report?: { recvKbps: number; lossDownPercent: number; framesDecoded: number };
} {
  const mark = {
    bytes: f.videoBytes + f.audioBytes,
    packets: f.videoPackets + f.audioPackets,
    lost: f.videoLost + f.audioLost,
    at: now,
  };
  if (!prev) return { mark };
  const dPackets = mark.packets - prev.packets;
  const dLost = Math.max(0, mark.lost - prev.lost);
  return {
    mark,
    report: {
      recvKbps: Math.max(0, Math.round(((mark.bytes - prev.bytes) * 8) / (now - prev.at))),
      lossDownPercent: dPackets + dLost > 0 ? (dLost / (dPackets + dLost)) * 100 : 0,
      framesDecoded: f.framesDecoded,
    },
  };
}
