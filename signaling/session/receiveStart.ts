import type { BandwidthFigure } from '../../protocol/check/score.js';

/*
 * Where the SFU's estimate of a site's downlink starts (mediasoup's
 * initialAvailableOutgoingBitrate on the site's receive transport). mediasoup picks the layers
 * of every simulcast consumer from it at once, before a single feedback report: a start above
 * the link sends layers the link cannot carry, the queue overflows, the keyframe is lost, and
 * after the estimate falls mediasoup holds the consumer down for 10 s (its
 * BweDowngradeConservativeMs). A start at or below the link sends the lowest layer first and
 * climbs as the estimate's probes succeed, which on a good link takes a few seconds.
 */

/** Nothing known about the site's link: room for the 180p layer and the 360p layer's base. */
export const UNKNOWN_START_BPS = 400_000;
/** The most any start may assume: the three layers and audio. */
export const MAX_START_BPS = 1_500_000;
/** Never below: the 180p layer with its audio. */
export const MIN_START_BPS = 200_000;
/**
 * The share of a measured limit to start at: the check's figure is the loopback's average, and
 * audio, resends and the next keyframe's burst need room on top.
 */
const LIMIT_SHARE = 0.7;

/** The start for a site whose last connection check measured its downlink as `down`. */
export function receiveStartBps(down: BandwidthFigure | undefined): number {
  if (down?.kbps === undefined || down.confidence === 'low') return UNKNOWN_START_BPS;
  const bps = down.kbps * 1000;
  // "at least": the link carried all the check sent, and may carry more.
  const start = down.bound === 'at-least' ? bps : bps * LIMIT_SHARE;
  return Math.round(Math.min(MAX_START_BPS, Math.max(MIN_START_BPS, start)));
}

/**
 * The bitrate a site's video layers must fit in, when its last check found the downlink's limit
 * (undefined when nothing is known or the link carried all the check sent). The estimate's own
 * first probes cannot be trusted on such a line: a policed link's burst lets 3× and 6× the start
 * through for a moment, and mediasoup forwarded 720p to a 400 kbit/s school within 3.5 s.
 */
export function receiveCeilingBps(down: BandwidthFigure | undefined): number | undefined {
  if (down?.kbps === undefined || down.confidence === 'low' || down.bound === 'at-least') {
    return undefined;
  }
  return Math.round(down.kbps * 1000 * LIMIT_SHARE);
}
