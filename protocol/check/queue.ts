import { z } from 'zod';

/*
 * Checks in waves: when a check window opens, the server measures at most a few sites at once
 * and the others wait their turn in a fair first-come queue. These are the messages of that
 * queue (the technician's place, the IT board's progress) and the per-meeting thresholds.
 * Text is data: a code with parameters, rendered in both languages by `queueText`.
 */

const id = z.string().min(1).max(128);

/** Technician (own site): where this site stands in the check queue. */
export const checkQueuedSchema = z.object({
  /** waiting: not its turn yet; none: not in the queue (checked, or no window). */
  state: z.enum(['waiting', 'none']),
  /** 1 = next to be called. */
  position: z.int().min(1).optional(),
  /** Expected wait from the observed mean check duration (ms). */
  etaMs: z.int().min(0).optional(),
});
export type CheckQueued = z.infer<typeof checkQueuedSchema>;

/** IT board and chair: the window's progress. */
export const checkProgressSchema = z.object({
  meetingId: id,
  /** The window is running in waves (false: no window, or it closed). */
  active: z.boolean(),
  kind: z.enum(['window', 'recheck']).optional(),
  /** Measurements allowed at once. */
  limit: z.int().min(1),
  total: z.int().min(0),
  /** Sites with a verdict in this window. */
  checked: z.int().min(0),
  /** Sites measuring now. */
  checking: z.int().min(0),
  /** Connected sites waiting for a slot. */
  waiting: z.int().min(0),
  /** Sites neither checked nor connected. */
  offline: z.int().min(0),
  /** Mean duration of one check in this window (ms); the default until one finished. */
  meanCheckMs: z.int().min(0),
  openedAt: z.string().optional(),
  /** When the connected sites are expected to be checked, at the present pace (ISO). */
  expectedEndAt: z.string().optional(),
});
export type CheckProgress = z.infer<typeof checkProgressSchema>;

export const checkQueueNotifications = {
  checkQueued: checkQueuedSchema,
  checkProgress: checkProgressSchema,
} as const;

/** Error details of a beginCheck refused because the site must wait for its turn. */
export const checkWaitDetailsSchema = z.object({
  reason: z.literal('check_queued'),
  position: z.int().min(1),
  etaMs: z.int().min(0),
});

// ---------------------------------------------------------------------------------------------
// Text (both languages, rendered from data)

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000));

export function queueText(q: { position: number; etaMs: number }): { vi: string; en: string } {
  const m = minutes(q.etaMs);
  return {
    vi: `Đang chờ lượt kiểm tra: thứ ${q.position}, khoảng ${m} phút`,
    en: `Waiting for a check slot: position ${q.position}, about ${m} ${m === 1 ? 'minute' : 'minutes'}`,
  };
}

export const progressLabels = {
  title: { vi: 'Tiến độ kiểm tra', en: 'Check progress' },
  checked: { vi: 'Đã kiểm tra', en: 'Checked' },
  checking: { vi: 'Đang kiểm tra', en: 'Checking' },
  waiting: { vi: 'Đang chờ lượt', en: 'Waiting' },
  offline: { vi: 'Chưa kết nối', en: 'Offline' },
  limit: { vi: 'Đo cùng lúc tối đa', en: 'At most at once' },
  expectedEnd: { vi: 'Dự kiến xong lúc', en: 'Expected end' },
} as const satisfies Record<string, { vi: string; en: string }>;

// ---------------------------------------------------------------------------------------------
// Per-meeting thresholds

/** A meeting's own check thresholds; each one omitted falls back to the service's config. */
export const meetingCheckThresholdsSchema = z.strictObject({
  maxRttMs: z.number().positive().max(10_000).optional(),
  maxLossPercent: z.number().min(0).max(100).optional(),
  maxJitterMs: z.number().positive().max(10_000).optional(),
  minUplinkKbps: z.number().positive().max(100_000).optional(),
  minDownlinkKbps: z.number().positive().max(100_000).optional(),
});
export type MeetingCheckThresholds = z.infer<typeof meetingCheckThresholdsSchema>;

/** The thresholds a meeting's checks are judged by: its own where set, else the defaults. */
export function thresholdsFor<T extends Record<keyof MeetingCheckThresholds, number>>(
  defaults: T,
  own: MeetingCheckThresholds | undefined,
): Record<keyof MeetingCheckThresholds, number> {
  const pick = (k: keyof MeetingCheckThresholds) => own?.[k] ?? defaults[k];
  return {
    maxRttMs: pick('maxRttMs'),
    maxLossPercent: pick('maxLossPercent'),
    maxJitterMs: pick('maxJitterMs'),
    minUplinkKbps: pick('minUplinkKbps'),
    minDownlinkKbps: pick('minDownlinkKbps'),
  };
}

export const thresholdLabels: Readonly<
  Record<keyof MeetingCheckThresholds, { vi: string; en: string }>
> = {
  maxRttMs: { vi: 'Độ trễ khứ hồi tối đa (ms)', en: 'Max round-trip time (ms)' },
  maxLossPercent: { vi: 'Mất gói tối đa (%)', en: 'Max packet loss (%)' },
  maxJitterMs: { vi: 'Độ dao động tối đa (ms)', en: 'Max jitter (ms)' },
  minUplinkKbps: { vi: 'Băng thông gửi đi tối thiểu (kbps)', en: 'Min uplink (kbps)' },
  minDownlinkKbps: { vi: 'Băng thông nhận về tối thiểu (kbps)', en: 'Min downlink (kbps)' },
};
