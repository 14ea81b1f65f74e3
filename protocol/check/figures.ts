import { z } from 'zod';
import { mediaPathSchema, relayPortSchema } from '../mediaPath.js';

/*
 * The technical check (giao ban kỹ thuật): the figures measured, the thresholds and the verdict,
 * the stored result. Browser-safe: pure zod and plain functions, so the technician's page
 * computes the same verdict the server stores. Readiness (the board) is protocol/readiness.ts,
 * the check's socket messages protocol/check/socket.ts.
 */

export const verdictSchema = z.enum(['pass', 'degraded', 'fail']);
export type Verdict = z.infer<typeof verdictSchema>;

// ---------------------------------------------------------------------------------------------
// Figures

const ms = z.number().min(0).max(600_000);
/** A duration in ms (figures and the stored result). */
export const durationMsSchema = ms;
const kbps = z.number().min(0).max(1_000_000);
const percent = z.number().min(0).max(100);

/** What the server measured of what the site sends (producer and transport stats). */
export const uplinkFiguresSchema = z.object({
  kbps,
  lossPercent: percent,
  jitterMs: ms,
  /** RTP packets the server received during the measurement. */
  packets: z.int().min(0),
  durationMs: ms,
  /**
   * Everything the site's datagrams carried to the server (RTP, resends, RTCP, with SRTP, UDP and
   * IP headers), kbps: the rate the link itself ran at. Absent in results stored before it.
   */
  wireKbps: kbps.optional(),
});
export type UplinkFigures = z.infer<typeof uplinkFiguresSchema>;

/** What the page measured of its own stream looped back through the SFU. */
export const downlinkFiguresSchema = z.object({
  kbps,
  lossPercent: percent,
  jitterMs: ms,
  rttMs: ms.optional(),
  framesDecoded: z.int().min(0),
  durationMs: ms,
});
export type DownlinkFigures = z.infer<typeof downlinkFiguresSchema>;

export const candidateTypeSchema = z.enum(['host', 'srflx', 'prflx', 'relay', 'unknown']);
export const candidateLabels: Readonly<
  Record<z.infer<typeof candidateTypeSchema>, { vi: string; en: string }>
> = {
  host: { vi: 'trực tiếp', en: 'host' },
  srflx: { vi: 'qua NAT', en: 'server-reflexive' },
  prflx: { vi: 'qua NAT', en: 'peer-reflexive' },
  relay: { vi: 'qua máy chủ TURN', en: 'relay' },
  unknown: { vi: 'không rõ', en: 'unknown' },
};

/**
 * The page's encoder during the measurement (Chromium's outbound-rtp of the camera and the send
 * path's bandwidth estimate): tells a starved computer from a thin link.
 */
export const senderFiguresSchema = z.object({
  /** Share of the measurement the encoder was limited by the CPU (qualityLimitationDurations), %. */
  cpuLimitedPercent: percent,
  /** Share of the measurement it was limited by bandwidth, %. */
  bandwidthLimitedPercent: percent,
  /** qualityLimitationReason at the end of the measurement. */
  limitation: z.enum(['none', 'cpu', 'bandwidth', 'other']),
  /** What the encoder sent at the end: picture height and frames per second. */
  sentHeight: z.int().min(0).max(10_000).optional(),
  sentFps: z.number().min(0).max(1000).optional(),
  /** The encoder's target bitrate at the end (kbps). */
  targetKbps: kbps.optional(),
  /** Mean time to encode one frame (ms). */
  encodeMs: ms.optional(),
  /** Median of the send path's bandwidth estimate (availableOutgoingBitrate), kbps. */
  estimateKbps: kbps.optional(),
  /** What the camera's encoder put on the wire during the measurement (kbps, no resends). */
  sentKbps: kbps.optional(),
  /** The rate the calibrated probe was forced to send at (kbps). */
  probeKbps: kbps.optional(),
  /** What the encoder put on the wire during the probe (kbps): did it push what was asked? */
  probeSentKbps: kbps.optional(),
});
export type SenderFigures = z.infer<typeof senderFiguresSchema>;

/** The page decoding its own looped-back video (inbound-rtp): can this computer show video? */
export const receiverFiguresSchema = z.object({
  framesReceived: z.int().min(0),
  /** Frames dropped before display (Chromium: not decoded in time or incomplete). */
  framesDropped: z.int().min(0),
  /** Mean time to decode one frame (ms). */
  decodeMs: ms.optional(),
  /** Keyframes decoded and keyframe requests (PLI) sent during the measurement. */
  keyFramesDecoded: z.int().min(0).optional(),
  pliCount: z.int().min(0).optional(),
  nackCount: z.int().min(0).optional(),
});
export type ReceiverFigures = z.infer<typeof receiverFiguresSchema>;

/** Figures the page measured; the server adds its own uplink figures before judging. */
export const clientFiguresSchema = z.strictObject({
  /** Socket connect plus the join round trip (ms). */
  signalingMs: ms,
  /** ICE + DTLS: transport created → connected (ms). */
  iceDtlsMs: ms.optional(),
  candidateType: candidateTypeSchema,
  protocol: z.enum(['udp', 'tcp', 'unknown']),
  /** UDP, TCP (ICE-TCP to the worker) or through TURN (and over what); absent from older pages. */
  path: mediaPathSchema.optional(),
  /** The TURN server's port when relayed (443: TURN/TLS through a web-only firewall or proxy). */
  relayPort: relayPortSchema.optional(),
  downlink: downlinkFiguresSchema,
  /** Peak RMS level of the microphone, 0..1. */
  micLevel: z.number().min(0).max(1),
  /** Mean luminance of camera frames, 0..255. */
  cameraLuma: z.number().min(0).max(255),
  /** The technician heard the test tone (undefined: not asked). */
  speakersConfirmed: z.boolean().optional(),
  /** Absent from pages older than these figures. */
  sender: senderFiguresSchema.optional(),
  receiver: receiverFiguresSchema.optional(),
  /**
   * The longest the page's own timers ran late during the check (ms). A page its computer starves
   * of CPU answers the server's heartbeat late and loses its connection: the computer, not the link.
   */
  pageLagMs: ms.optional(),
  /**
   * The page could not finish measuring: its connection to the server kept dropping. It sends what
   * it has (devices, its lag); the bandwidth is then not judged.
   */
  interrupted: z.boolean().optional(),
});
export type ClientFigures = z.infer<typeof clientFiguresSchema>;

export const checkFiguresSchema = clientFiguresSchema.extend({
  uplink: uplinkFiguresSchema,
  /** What the server received while the page forced its calibrated probe rate. */
  uplinkProbe: uplinkFiguresSchema.optional(),
  /** How often the page's connection to the server dropped during the check (counted by the server). */
  drops: z.int().min(0).max(10_000).optional(),
});
export type CheckFigures = z.infer<typeof checkFiguresSchema>;

// ---------------------------------------------------------------------------------------------
// Verdict

/**
 * The limits a check is judged against: the one definition. The configuration reads them from
 * the environment (hence coerce and the defaults); the server sends them to the page with
 * beginCheck so both judge alike.
 */
export const checkThresholdsSchema = z.strictObject({
  /** Round-trip time above this is a problem (ms). */
  maxRttMs: z.coerce.number().positive().default(200),
  /** Packet loss above this is a problem (percent). */
  maxLossPercent: z.coerce.number().min(0).max(100).default(1),
  /** Jitter above this is a problem (ms). */
  maxJitterMs: z.coerce.number().positive().default(30),
  /** Minimum uplink bitrate the site must deliver (kbps). */
  minUplinkKbps: z.coerce.number().positive().default(1200),
  /** Minimum downlink bitrate the site must receive (kbps). */
  minDownlinkKbps: z.coerce.number().positive().default(1500),
});
export type CheckThresholds = z.output<typeof checkThresholdsSchema>;
