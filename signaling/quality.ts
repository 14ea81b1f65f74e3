import type { CheckThresholds } from '../protocol/check/index.js';
import type { Quality } from '../protocol/socket.js';

/** The live quality badge uses the check's own limits for RTT, loss and jitter. */
export type QualityThresholds = Pick<
  CheckThresholds,
  'maxRttMs' | 'maxLossPercent' | 'maxJitterMs'
>;

/** good: within every threshold; fair: up to twice a threshold; poor: beyond. */
export function gradeQuality(q: Omit<Quality, 'grade'>, th: QualityThresholds): Quality['grade'] {
  const ratios = [
    Math.max(q.lossUpPercent, q.lossDownPercent) / th.maxLossPercent,
    (q.rttMs ?? 0) / th.maxRttMs,
    (q.jitterMs ?? 0) / th.maxJitterMs,
  ];
  const worst = Math.max(...ratios);
  if (q.sendKbps === 0 && q.recvKbps === 0) return 'unknown';
  if (worst <= 1) return 'good';
  if (worst <= 2) return 'fair';
  return 'poor';
}
