import type { ReceiverFigures, SenderFigures } from '../../protocol/check/index.js';
import type { MeetingClient } from './MeetingClient.js';

/*
 * What the site's own computer did during the check's measurement, from Chromium's WebRTC stats:
 * the camera encoder (outbound-rtp: qualityLimitationDurations, encode time, the send path's
 * bandwidth estimate) and the decoder of the looped-back video (inbound-rtp). The verdict uses
 * them to tell a computer that cannot keep up from a thin link.
 */

interface EncoderTotals {
  durations: { cpu: number; bandwidth: number; other: number; none: number };
  reason: SenderFigures['limitation'];
  height?: number;
  fps?: number;
  targetBps?: number;
  encodeSeconds: number;
  framesEncoded: number;
  /** Video bytes put on the wire, payload and headers, without resends. */
  bytesSent: number;
  estimateBps?: number;
  at: number;
}

async function encoderTotals(client: MeetingClient): Promise<EncoderTotals> {
  const out: EncoderTotals = {
    durations: { cpu: 0, bandwidth: 0, other: 0, none: 0 },
    reason: 'none',
    encodeSeconds: 0,
    framesEncoded: 0,
    bytesSent: 0,
    at: performance.now(),
  };
  (await client.transportStats('send'))?.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      const d = (s.qualityLimitationDurations ?? {}) as Partial<EncoderTotals['durations']>;
      out.durations.cpu += d.cpu ?? 0;
      out.durations.bandwidth += d.bandwidth ?? 0;
      out.durations.other += d.other ?? 0;
      out.durations.none += d.none ?? 0;
      const r = String(s.qualityLimitationReason ?? 'none');
      if (r === 'cpu' || r === 'bandwidth' || r === 'other') out.reason = r;
      if (typeof s.frameHeight === 'number') out.height = Math.max(out.height ?? 0, s.frameHeight);
      if (typeof s.framesPerSecond === 'number')
        out.fps = Math.max(out.fps ?? 0, s.framesPerSecond);
      if (typeof s.targetBitrate === 'number')
        out.targetBps = (out.targetBps ?? 0) + s.targetBitrate;
      out.encodeSeconds += s.totalEncodeTime ?? 0;
      out.framesEncoded += s.framesEncoded ?? 0;
      out.bytesSent +=
        (s.bytesSent ?? 0) + (s.headerBytesSent ?? 0) - (s.retransmittedBytesSent ?? 0);
    }
    if (
      s.type === 'candidate-pair' &&
      s.nominated &&
      typeof s.availableOutgoingBitrate === 'number'
    )
      out.estimateBps = Math.max(out.estimateBps ?? 0, s.availableOutgoingBitrate);
  });
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts watching the camera's encoder; `stop()` gives the figures over the time watched. */
export async function watchSender(client: MeetingClient, intervalMs = 500) {
  const first = await encoderTotals(client);
  const estimates: number[] = [];
  const timer = setInterval(() => {
    void encoderTotals(client).then((x) => {
      if (x.estimateBps !== undefined) estimates.push(x.estimateBps);
    });
  }, intervalMs);
  return {
    async stop(): Promise<SenderFigures> {
      clearInterval(timer);
      const last = await encoderTotals(client);
      const share = (k: keyof EncoderTotals['durations']) => {
        const total = (['cpu', 'bandwidth', 'other', 'none'] as const).reduce(
          (sum, key) => sum + Math.max(0, last.durations[key] - first.durations[key]),
          0,
        );
        const d = Math.max(0, last.durations[k] - first.durations[k]);
        return total > 0 ? Math.min(100, Math.round((d / total) * 1000) / 10) : 0;
      };
      const frames = last.framesEncoded - first.framesEncoded;
      const estimate = median(estimates) ?? last.estimateBps;
      const elapsed = Math.max(1, last.at - first.at);
      const sent = Math.max(0, last.bytesSent - first.bytesSent);
      return {
        cpuLimitedPercent: share('cpu'),
        bandwidthLimitedPercent: share('bandwidth'),
        limitation: last.reason,
        ...(last.height !== undefined ? { sentHeight: Math.round(last.height) } : {}),
        ...(last.fps !== undefined ? { sentFps: Math.round(last.fps * 10) / 10 } : {}),
        ...(last.targetBps !== undefined ? { targetKbps: Math.round(last.targetBps / 1000) } : {}),
        ...(frames > 0
          ? {
              encodeMs:
                Math.round(((last.encodeSeconds - first.encodeSeconds) / frames) * 10_000) / 10,
            }
          : {}),
        ...(estimate !== undefined ? { estimateKbps: Math.round(estimate / 1000) } : {}),
        sentKbps: Math.round((sent * 8) / elapsed),
      };
    },
  };
}

type TrackTotals = Awaited<ReturnType<MeetingClient['trackStats']>>;

/** The looped-back camera's decoder between two samples of `trackStats`. */
export function receiverFigures(first: TrackTotals, last: TrackTotals): ReceiverFigures {
  const decoded = Math.max(0, last.framesDecoded - first.framesDecoded);
  const d = (k: keyof TrackTotals) => Math.max(0, Math.round(last[k] - first[k]));
  return {
    framesReceived: d('framesReceived'),
    framesDropped: d('framesDropped'),
    ...(decoded > 0
      ? {
          decodeMs:
            Math.round(((last.totalDecodeTime - first.totalDecodeTime) / decoded) * 10_000) / 10,
        }
      : {}),
    keyFramesDecoded: d('keyFramesDecoded'),
    pliCount: d('pliCount'),
    nackCount: d('nackCount'),
  };
}
