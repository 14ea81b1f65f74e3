import type { DownlinkFigures, ReceiverFigures } from '../../protocol/check/index.js';
import { receiverFigures } from './checkStats.js';
import type { MeetingClient } from './MeetingClient.js';
import { type SelectedPath, selectedPathOf } from './mediaPath.js';

/*
 * The connection check's figures read from the browser's getStats: the looped-back stream as it
 * arrives (downlink), the path the send transport uses, and the send path's bandwidth estimate.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureDownlink(
  client: MeetingClient,
  own: { camera: string; microphone: string },
  durationMs: number,
): Promise<{ downlink: DownlinkFigures; receiver: ReceiverFigures }> {
  const totals = async () => {
    const [v, a] = await Promise.all([
      client.trackStats(own.camera),
      client.trackStats(own.microphone),
    ]);
    return {
      video: v,
      // Payload and RTP headers, as the sender's figure (sentKbps) counts them.
      bytes: v.bytesReceived + v.headerBytesReceived + a.bytesReceived + a.headerBytesReceived,
      packets: v.packetsReceived + a.packetsReceived,
      lost: v.packetsLost + a.packetsLost,
      frames: v.framesDecoded,
      jitterMs: Math.max(v.jitterMs, a.jitterMs),
      at: performance.now(),
    };
  };
  const first = await totals();
  const jitters: number[] = [];
  const rtts: number[] = [];
  const deadline = first.at + durationMs;
  let previous = first;
  let stalledSince: number | undefined;
  while (performance.now() < deadline) {
    await sleep(Math.min(500, Math.max(0, deadline - performance.now())));
    const now = await totals();
    jitters.push(now.jitterMs);
    // Video arriving but not decoding: a frame it depends on is lost for good. Chromium asks
    // for a keyframe only after ~3 s without a decodable frame; ask after one second.
    if (now.frames === previous.frames && now.packets > previous.packets) {
      stalledSince ??= previous.at;
      if (now.at - stalledSince >= 1000) {
        stalledSince = now.at;
        void client.request('requestKeyFrame', { consumerId: own.camera }).catch(() => {});
      }
    } else stalledSince = undefined;
    previous = now;
    const rtt = await roundTripMs(client);
    if (rtt !== undefined) rtts.push(rtt);
  }
  const last = await totals();
  const elapsed = Math.max(1, last.at - first.at);
  const packets = Math.max(0, last.packets - first.packets);
  const lost = Math.max(0, last.lost - first.lost);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rttMs = median(rtts);
  const downlink: DownlinkFigures = {
    kbps: Math.round(((last.bytes - first.bytes) * 8) / elapsed),
    lossPercent: packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0,
    jitterMs: Math.round(median(jitters) ?? last.jitterMs),
    ...(rttMs !== undefined ? { rttMs: Math.round(rttMs) } : {}),
    framesDecoded: Math.max(0, last.frames - first.frames),
    durationMs: Math.round(elapsed),
  };
  return { downlink, receiver: receiverFigures(first.video, last.video) };
}

/** RTT of the receive transport's selected pair (STUN consent checks), ms. */
async function roundTripMs(client: MeetingClient): Promise<number | undefined> {
  const stats = await client.transportStats('recv');
  let rtt: number | undefined;
  stats?.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined)
      rtt = s.currentRoundTripTime * 1000;
  });
  return rtt;
}

/** The candidate the send transport actually uses: host / srflx / relay, UDP, TCP or TURN. */
export async function selectedPath(client: MeetingClient): Promise<SelectedPath> {
  return selectedPathOf(await client.transportStats('send'));
}

/** Waits until the send path's estimated available bitrate reaches the target, or the time is up. */
export async function waitForSendEstimate(
  client: MeetingClient,
  targetBps: number,
  maxMs: number,
): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    let available = 0;
    (await client.transportStats('send'))?.forEach((s) => {
      if (
        s.type === 'candidate-pair' &&
        s.nominated &&
        typeof s.availableOutgoingBitrate === 'number'
      ) {
        available = Math.max(available, s.availableOutgoingBitrate);
      }
    });
    if (available >= targetBps * 0.95) return;
    await sleep(250);
  }
}
