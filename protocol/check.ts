import { z } from 'zod';
import { checkAssessmentSchema } from './checkScore.js';
import { reasonSchema } from './checkVerdict.js';
import { optionalText } from './fields.js';

export {
  BLACK_CAMERA_LUMA,
  causeLabels,
  evaluateCheck,
  type Reason,
  type ReasonCause,
  type ReasonCode,
  reasonCause,
  reasonCodes,
  reasonSchema,
  reasonsByCause,
  SILENT_MIC_LEVEL,
} from './checkVerdict.js';

/*
 * The technical check (giao ban kỹ thuật) and site readiness: figures, verdict, checklist, the
 * socket messages of the check and the HTTP bodies of the readiness board. Browser-safe: pure zod
 * and plain functions, so the technician's page computes the same verdict the server stores.
 */

const id = z.string().min(1).max(128);

// ---------------------------------------------------------------------------------------------
// Readiness

export const readinessStates = [
  'unknown',
  'invited',
  'online',
  'checking',
  'ready',
  'degraded',
  'failed',
  'no-show',
] as const;
export const readinessStateSchema = z.enum(readinessStates);
export type ReadinessState = z.infer<typeof readinessStateSchema>;

export const readinessLabels: Readonly<Record<ReadinessState, { vi: string; en: string }>> = {
  unknown: { vi: 'Chưa rõ', en: 'Unknown' },
  invited: { vi: 'Đã mời', en: 'Invited' },
  online: { vi: 'Đã kết nối', en: 'Online' },
  checking: { vi: 'Đang kiểm tra', en: 'Checking' },
  ready: { vi: 'Sẵn sàng', en: 'Ready' },
  degraded: { vi: 'Chất lượng hạn chế', en: 'Degraded' },
  failed: { vi: 'Chưa đạt', en: 'Failed' },
  'no-show': { vi: 'Vắng mặt khi kiểm tra', en: 'No-show' },
};

export const verdictSchema = z.enum(['pass', 'degraded', 'fail']);
export type Verdict = z.infer<typeof verdictSchema>;

export const verdictReadiness: Readonly<Record<Verdict, ReadinessState>> = {
  pass: 'ready',
  degraded: 'degraded',
  fail: 'failed',
};

// ---------------------------------------------------------------------------------------------
// Figures

const ms = z.number().min(0).max(600_000);
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
});
export type ClientFigures = z.infer<typeof clientFiguresSchema>;

export const checkFiguresSchema = clientFiguresSchema.extend({
  uplink: uplinkFiguresSchema,
  /** What the server received while the page forced its calibrated probe rate. */
  uplinkProbe: uplinkFiguresSchema.optional(),
});
export type CheckFigures = z.infer<typeof checkFiguresSchema>;

// ---------------------------------------------------------------------------------------------
// Verdict

export interface CheckThresholdsLike {
  maxRttMs: number;
  maxLossPercent: number;
  maxJitterMs: number;
  minUplinkKbps: number;
  minDownlinkKbps: number;
}

// ---------------------------------------------------------------------------------------------
// Checklist

export const checklistItems = [
  'cameraFraming',
  'microphone',
  'display',
  'backupPower',
  'banner',
  'seats',
] as const;
export type ChecklistItem = (typeof checklistItems)[number];

export const checklistLabels: Readonly<Record<ChecklistItem, { vi: string; en: string }>> = {
  cameraFraming: { vi: 'Camera bao quát hội trường', en: 'Camera framing' },
  microphone: { vi: 'Micro cho người phát biểu', en: 'Microphone for speakers' },
  display: { vi: 'Màn hình / máy chiếu', en: 'Display / projector' },
  backupPower: { vi: 'Nguồn điện dự phòng', en: 'Backup power' },
  banner: { vi: 'Tít trên phông', en: 'Title banner' },
  seats: { vi: 'Đủ chỗ ngồi cho đại biểu', en: 'Seats for the expected attendees' },
};

export const checklistInputSchema = z.strictObject({
  items: z.strictObject(
    Object.fromEntries(checklistItems.map((k) => [k, z.boolean()])) as Record<
      ChecklistItem,
      z.ZodBoolean
    >,
  ),
  /** Seats actually prepared, compared with the expected head count. */
  seats: z.int().min(0).max(100_000).optional(),
  note: optionalText({ vi: 'Ghi chú', en: 'Note' }, 500, { multiline: true }),
});
export type ChecklistInput = z.infer<typeof checklistInputSchema>;

export const checklistSchema = checklistInputSchema.extend({
  confirmedAt: z.string(),
  confirmedBy: z.string(),
});
export type Checklist = z.infer<typeof checklistSchema>;

// ---------------------------------------------------------------------------------------------
// Stored results and the board

export const checkResultSchema = z.object({
  checkId: id,
  kind: z.enum(['window', 'recheck', 'on-demand']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: ms,
  figures: checkFiguresSchema,
  verdict: verdictSchema,
  reasons: z.array(reasonSchema),
  /** The grade and bandwidth as people read them; absent in results stored before it existed. */
  assessment: checkAssessmentSchema.optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const siteReadinessSchema = z.object({
  meetingId: id,
  siteId: id,
  state: readinessStateSchema,
  since: z.string(),
  online: z.boolean(),
  lastCheck: checkResultSchema.optional(),
  checklist: checklistSchema.optional(),
  /** Why the state is what it is (no-show, a failed check), for the board. */
  note: z.string().optional(),
  updatedAt: z.string(),
});
export type SiteReadiness = z.infer<typeof siteReadinessSchema>;

export const readinessHistoryEntrySchema = z.object({
  siteId: id,
  from: readinessStateSchema,
  to: readinessStateSchema,
  at: z.string(),
  note: z.string().optional(),
});
export type ReadinessHistoryEntry = z.infer<typeof readinessHistoryEntrySchema>;

export const readinessProblemSchema = z.object({
  siteId: id,
  siteName: z.string(),
  state: readinessStateSchema,
  message: z.string(),
});

export const meetingReadinessSchema = z.object({
  meetingId: id,
  counts: z.record(readinessStateSchema, z.int()),
  sites: z.array(siteReadinessSchema.extend({ siteName: z.string() })),
  problems: z.array(readinessProblemSchema),
  window: z.object({ kind: z.string(), opensAt: z.string(), closesAt: z.string() }).optional(),
});
export type MeetingReadiness = z.infer<typeof meetingReadinessSchema>;

// ---------------------------------------------------------------------------------------------
// In-app notifications (reminders, escalations), stored per meeting

export const inAppNotificationSchema = z.object({
  id,
  meetingId: id,
  /** Absent: for the IT board only. */
  siteId: id.optional(),
  kind: z.enum(['reminder', 'window-open', 'no-show', 'check-failed', 'job-failed']),
  /** Vietnamese first, English after. */
  title: z.string(),
  body: z.string(),
  at: z.string(),
});
export type InAppNotification = z.infer<typeof inAppNotificationSchema>;

// ---------------------------------------------------------------------------------------------
// Socket messages of the check (merged into protocol/socket.ts)

export const checkRequests = {
  /** Site: start a check; refused outside a check window or an IT request. */
  beginCheck: {
    payload: z.object({}).default({}),
    answer: z.object({
      checkId: id,
      kind: checkResultSchema.shape.kind,
      /** How long to send for the uplink/downlink measurement. */
      measureMs: z.int().positive(),
      /** Send the camera at this bitrate during the check (one encoding, no simulcast). */
      targetKbps: z.int().positive(),
      thresholds: z.object({
        maxRttMs: z.number(),
        maxLossPercent: z.number(),
        maxJitterMs: z.number(),
        minUplinkKbps: z.number(),
        minDownlinkKbps: z.number(),
      }),
    }),
  },
  /** Site: the server samples what it receives from this site for durationMs and answers. */
  measureUplink: {
    payload: z.object({
      checkId: id,
      durationMs: z.int().min(1000).max(30_000),
      /** The page is forcing its probe rate: kept apart as the bandwidth probe. */
      probe: z.boolean().optional(),
    }),
    answer: uplinkFiguresSchema,
  },
  /** Site: the page's figures; the server adds its uplink figures, judges and stores. */
  submitCheck: {
    payload: z.object({ checkId: id, figures: clientFiguresSchema }),
    answer: z.object({ result: checkResultSchema, readiness: siteReadinessSchema }),
  },
  /** Site: give up a check (page closed the dialog); loopback stops, nothing is stored. */
  abortCheck: { payload: z.object({ checkId: id }), answer: z.object({}) },
  /** Site: the technician confirms the checklist. */
  confirmChecklist: { payload: checklistInputSchema, answer: siteReadinessSchema },
  /** IT: ask one site (or every connected site) to run a check now. */
  requestCheck: {
    payload: z.object({ siteId: id.optional() }).default({}),
    answer: z.object({ requested: z.array(id), offline: z.array(id) }),
  },
  /** IT: two-way call with one site (IT sends and receives with that site only). */
  startItCall: { payload: z.object({ siteId: id }), answer: z.object({ siteId: id }) },
  endItCall: { payload: z.object({}).default({}), answer: z.object({}) },
} as const;

export const checkNotifications = {
  /** Site: run the check now (window opened, re-check, or IT asked). */
  checkRequested: z.object({
    kind: checkResultSchema.shape.kind,
    reason: z.string(),
    /** Re-checks are short. */
    measureMs: z.int().positive().optional(),
  }),
  /** Chair and IT: one site's readiness changed. */
  readinessChanged: siteReadinessSchema,
  /** Everyone: the check window opened or closed. */
  checkWindowChanged: z.object({
    open: z.boolean(),
    kind: z.string(),
    closesAt: z.string().optional(),
  }),
  /** Technician (own site) and IT: a reminder or escalation. */
  notificationAdded: inAppNotificationSchema,
  /** Site and IT: the IT call with this site started or ended. */
  itCallChanged: z.object({ siteId: id.optional() }),
} as const;
