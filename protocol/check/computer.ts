import type { CheckFigures } from './figures.js';

/* What says the site's computer, not its link, held the check back: the limits and the test. */

/** Below these the page calls the microphone silent and the camera black. */
export const SILENT_MIC_LEVEL = 0.005;
export const BLACK_CAMERA_LUMA = 16;
/** The encoder counts as limited by the CPU (or bandwidth) beyond this share of the measurement. */
export const LIMITED_SHARE_PERCENT = 20;
/** More dropped frames than this share of the received ones: the computer cannot display them. */
export const MAX_DROPPED_PERCENT = 10;
/** Mean decode time per frame above this: the computer decodes too slowly (ms). */
export const MAX_DECODE_MS = 30;
/** Mean encode time per frame above this: the encoder cannot keep 20 frames a second (ms). */
export const MAX_ENCODE_MS = 50;
/** Chromium's own CPU overuse line: encoding takes this share of the time between frames. */
export const MAX_ENCODE_USAGE_PERCENT = 85;

/**
 * Whether the site's computer could not keep up with encoding: Chromium says so itself
 * (qualityLimitationReason `cpu`), but only after ~120 frames, so a long mean encode time counts
 * too (above MAX_ENCODE_MS a frame, the encoder cannot sustain 20 frames a second).
 */
export function encoderStarved(f: CheckFigures): boolean {
  const s = f.sender;
  if (!s) return false;
  return (
    s.cpuLimitedPercent >= LIMITED_SHARE_PERCENT ||
    s.limitation === 'cpu' ||
    (s.encodeMs !== undefined && s.encodeMs >= MAX_ENCODE_MS) ||
    encodeUsagePercent(s) >= MAX_ENCODE_USAGE_PERCENT
  );
}

/** Share of the time between frames the encoder spent encoding (Chromium's "encode usage"). */
export function encodeUsagePercent(s: NonNullable<CheckFigures['sender']>): number {
  return s.encodeMs !== undefined && s.sentFps !== undefined ? (s.encodeMs * s.sentFps) / 10 : 0;
}

/**
 * What the looped-back downlink can carry at most: the site's own stream, as its encoder sent it
 * (media bytes). The uplink figure is counted at link level over the probe too, so it is higher.
 */
export function mirroredKbps(f: CheckFigures): number {
  const sent = f.sender?.sentKbps;
  return sent !== undefined && sent > 0 ? Math.min(f.uplink.kbps, sent) : f.uplink.kbps;
}

/**
 * The page's timers ran at least this late (ms): its computer held it back for longer than a
 * heartbeat can wait, so a dropped connection during the check was the computer's doing.
 */
export const MAX_PAGE_LAG_MS = 1000;

/** The page itself was starved of CPU: its timers ran late while its connection dropped. */
export function pageStarved(f: CheckFigures): boolean {
  const dropped = (f.drops ?? 0) > 0 || f.interrupted === true;
  return dropped && (f.pageLagMs ?? 0) >= MAX_PAGE_LAG_MS;
}

/** The site's computer could not keep up: its encoder, or the page itself. */
export function computerStarved(f: CheckFigures): boolean {
  return encoderStarved(f) || pageStarved(f);
}
