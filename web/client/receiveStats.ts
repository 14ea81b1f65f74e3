/*
 * What the page receives, read from WebRTC's stats: the figures the quality badge, the server's
 * per-endpoint metrics and the connection check use.
 */

/** Receiver figures of one remote track: frames decoded (video) and packets received. */
export interface TrackFigures {
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
  /** RTP header (and padding) bytes: with bytesReceived, what the sender's media took on the wire. */
  headerBytesReceived: number;
  packetsLost: number;
  jitterMs: number;
  framesReceived: number;
  framesDropped: number;
  keyFramesDecoded: number;
  /** Seconds spent decoding, over all frames. */
  totalDecodeTime: number;
  pliCount: number;
  nackCount: number;
}

export function trackFiguresOf(stats: RTCStatsReport | undefined): TrackFigures {
  const out: TrackFigures = {
    framesDecoded: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    headerBytesReceived: 0,
    packetsLost: 0,
    jitterMs: 0,
    framesReceived: 0,
    framesDropped: 0,
    keyFramesDecoded: 0,
    totalDecodeTime: 0,
    pliCount: 0,
    nackCount: 0,
  };
  stats?.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    out.framesDecoded += s.framesDecoded ?? 0;
    out.framesReceived += s.framesReceived ?? 0;
    out.framesDropped += s.framesDropped ?? 0;
    out.keyFramesDecoded += s.keyFramesDecoded ?? 0;
    out.totalDecodeTime += s.totalDecodeTime ?? 0;
    out.pliCount += s.pliCount ?? 0;
    out.nackCount += s.nackCount ?? 0;
    out.packetsReceived += s.packetsReceived ?? 0;
    out.bytesReceived += s.bytesReceived ?? 0;
    out.headerBytesReceived += s.headerBytesReceived ?? 0;
    out.packetsLost += Math.max(0, s.packetsLost ?? 0);
    out.jitterMs = Math.max(out.jitterMs, (s.jitter ?? 0) * 1000);
  });
  return out;
}

/** What the page receives over its receive transport (reportStats, the check). */
export interface ReceiveFigures {
  recvKbps: number;
  lossDownPercent: number;
  jitterMs: number;
  rttMs?: number;
  framesDecoded: number;
}

/**
 * The receive transport's figures except the rate, and the byte count the caller turns into a
 * rate against its previous reading.
 */
export function receiveFiguresOf(stats: RTCStatsReport | undefined): {
  figures: Omit<ReceiveFigures, 'recvKbps'>;
  bytes: number;
} {
  let bytes = 0;
  let lost = 0;
  let received = 0;
  let jitter = 0;
  let framesDecoded = 0;
  let rtt: number | undefined;
  stats?.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      bytes += s.bytesReceived ?? 0;
      lost += Math.max(0, s.packetsLost ?? 0);
      received += s.packetsReceived ?? 0;
      jitter = Math.max(jitter, (s.jitter ?? 0) * 1000);
      framesDecoded += s.framesDecoded ?? 0;
    }
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
      rtt = s.currentRoundTripTime * 1000;
    }
  });
  return {
    bytes,
    figures: {
      lossDownPercent: received + lost > 0 ? (lost / (received + lost)) * 100 : 0,
      jitterMs: Math.round(jitter),
      ...(rtt !== undefined ? { rttMs: Math.round(rtt) } : {}),
      framesDecoded,
    },
  };
}
