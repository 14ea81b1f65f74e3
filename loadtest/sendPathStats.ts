import type { types } from 'mediasoup-client';

/** Figures of a send transport's selected candidate pair, read from getStats. */

/** The selected candidate pair's round trip (ms), when known. */
export async function sendRttMs(
  transport: types.Transport | undefined,
): Promise<number | undefined> {
  const stats = await transport?.getStats();
  let rtt: number | undefined;
  stats?.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined)
      rtt = s.currentRoundTripTime * 1000;
  });
  return rtt;
}

/** The send path's bandwidth estimate (availableOutgoingBitrate, kbps), when known. */
export async function sendEstimateKbps(
  transport: types.Transport | undefined,
): Promise<number | undefined> {
  const stats = await transport?.getStats();
  let kbps: number | undefined;
  stats?.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate !== undefined)
      kbps = s.availableOutgoingBitrate / 1000;
  });
  return kbps;
}

export interface SendCounters {
  pliCount: number;
  firCount: number;
  keyFramesEncoded: number;
  framesEncoded: number;
  bytesSent: number;
}

/** Outbound video streams summed over layers: keyframe requests received, key frames encoded. */
export async function sendCounters(transport: types.Transport | undefined): Promise<SendCounters> {
  const out: SendCounters = {
    pliCount: 0,
    firCount: 0,
    keyFramesEncoded: 0,
    framesEncoded: 0,
    bytesSent: 0,
  };
  const stats = await transport?.getStats();
  stats?.forEach((s) => {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
    out.pliCount += s.pliCount ?? 0;
    out.firCount += s.firCount ?? 0;
    out.keyFramesEncoded += s.keyFramesEncoded ?? 0;
    out.framesEncoded += s.framesEncoded ?? 0;
    out.bytesSent += s.bytesSent ?? 0;
  });
  return out;
}
