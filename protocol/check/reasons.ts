import { z } from 'zod';
import { sameText, type Text, textSchema } from '../text.js';

/*
 * The reasons a connection check gives, as data: their codes, the cause each belongs to (link,
 * computer, devices), the stored shape, and the advice for each cause. The verdict
 * (checkVerdict.ts) says which apply; every page reads the same tables.
 */

export const reasonCodes = [
  'no_media',
  'uplink_low',
  'downlink_low',
  'uplink_not_measured',
  'downlink_not_measured',
  'loss_up',
  'loss_down',
  'rtt',
  'jitter_up',
  'jitter_down',
  'tcp',
  'connection_lost',
  'computer_slow',
  'frames_dropped',
  'decode_slow',
  'mic_silent',
  'camera_black',
  'speakers',
  'no_video_decoded',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

export const reasonCauses = ['link', 'computer', 'devices'] as const;
export type ReasonCause = (typeof reasonCauses)[number];

export const causeLabels: Readonly<Record<ReasonCause, Text>> = {
  link: { vi: 'Đường truyền', en: 'Network link' },
  computer: { vi: 'Máy tính', en: 'Computer' },
  devices: { vi: 'Thiết bị', en: 'Devices' },
};

/** Which cause each reason belongs to: one table, read by the verdict and every page. */
export const reasonCause: Readonly<Record<ReasonCode, ReasonCause>> = {
  no_media: 'link',
  uplink_low: 'link',
  downlink_low: 'link',
  uplink_not_measured: 'link',
  downlink_not_measured: 'link',
  loss_up: 'link',
  loss_down: 'link',
  rtt: 'link',
  jitter_up: 'link',
  jitter_down: 'link',
  tcp: 'link',
  connection_lost: 'link',
  no_video_decoded: 'link',
  computer_slow: 'computer',
  frames_dropped: 'computer',
  decode_slow: 'computer',
  mic_silent: 'devices',
  camera_black: 'devices',
  speakers: 'devices',
};

export const reasonSchema = z.object({
  code: z.enum(reasonCodes),
  /** info: said, but does not lower the verdict (e.g. a figure that could not be measured). */
  severity: z.enum(['info', 'degraded', 'fail']),
  /** Deprecated: the text joined in one string; only in results stored before `text`. */
  message: z.string().optional(),
  /** What is wrong, with the figure and the limit; absent only in results stored before it. */
  text: textSchema.optional(),
  /** What the technician can do about it. */
  advice: textSchema.optional(),
  measured: z.number().optional(),
  limit: z.number().optional(),
});
export type Reason = z.infer<typeof reasonSchema>;

export const ADVICE_COMPUTER: Text = {
  vi: 'Đóng các chương trình khác đang chạy, hạ độ phân giải camera, hoặc dùng máy tính mạnh hơn.',
  en: 'Close other programs, lower the camera resolution, or use a more powerful computer.',
};

export const ADVICE_LINK: Text = {
  vi: 'Dùng mạng có dây thay Wi-Fi, tạm dừng các máy khác đang tải nặng; nếu vẫn vậy, báo nhà cung cấp Internet.',
  en: 'Use a wired connection instead of Wi-Fi, pause other heavy downloads; if it persists, call the internet provider.',
};

/** A reason's words (results stored before `text` kept one string: shown as it is). */
export function reasonText(r: Reason): Text {
  return r.text ?? sameText(r.message ?? r.code);
}

const severityRank: Readonly<Record<Reason['severity'], number>> = {
  fail: 2,
  degraded: 1,
  info: 0,
};

/**
 * The reasons of one result grouped by cause: the cause with the worst reason first (what decided
 * the verdict), then in the order link, computer, devices.
 */
export function reasonsByCause(reasons: readonly Reason[]): [ReasonCause, Reason[]][] {
  const worst = (rs: Reason[]) => Math.max(...rs.map((r) => severityRank[r.severity]));
  return reasonCauses
    .map((c) => [c, reasons.filter((r) => reasonCause[r.code] === c)] as [ReasonCause, Reason[]])
    .filter(([, rs]) => rs.length > 0)
    .sort(([, a], [, b]) => worst(b) - worst(a));
}
