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
