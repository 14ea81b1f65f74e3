import type { types } from 'mediasoup-client';
import type { EndpointRole, MediaSource } from '../protocol/socket.js';

export interface ReceivedConsumer {
  consumer: types.Consumer;
  role: EndpointRole;
  source: MediaSource;
}

export interface ReceiveFigures {
  videoPackets: number;
  videoLost: number;
  videoBytes: number;
  framesDecoded: number;
  keyFramesDecoded: number;
  audioPackets: number;
  audioLost: number;
  audioBytes: number;
}

/**
 * Cumulative receive figures of everything from one role, from the receive transport's stats
 * (libwebrtc for Node has no per-receiver getStats): inbound streams matched by their mid.
 */
export async function receiveFigures(
  transport: types.Transport | undefined,
  received: Iterable<ReceivedConsumer>,
  from: EndpointRole,
): Promise<ReceiveFigures> {
  const out: ReceiveFigures = {
    videoPackets: 0,
    videoLost: 0,
    videoBytes: 0,
    framesDecoded: 0,
    keyFramesDecoded: 0,
    audioPackets: 0,
    audioLost: 0,
    audioBytes: 0,
  };
  if (!transport || transport.closed) return out;
  const byMid = new Map<string, ReceivedConsumer>();
  for (const r of received)
    if (!r.consumer.closed && r.consumer.rtpParameters.mid !== undefined)
      byMid.set(r.consumer.rtpParameters.mid, r);
  const stats = await transport.getStats();
  stats.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    const r = byMid.get(String(s.mid));
    if (!r || r.role !== from) return;
    const lost = Math.max(0, s.packetsLost ?? 0);
    if (r.consumer.kind === 'video') {
      out.videoPackets += s.packetsReceived ?? 0;
      out.videoLost += lost;
      out.videoBytes += s.bytesReceived ?? 0;
      out.framesDecoded += s.framesDecoded ?? 0;
      out.keyFramesDecoded += s.keyFramesDecoded ?? 0;
    } else {
      out.audioPackets += s.packetsReceived ?? 0;
      out.audioLost += lost;
      out.audioBytes += s.bytesReceived ?? 0;
    }
  });
  return out;
}
