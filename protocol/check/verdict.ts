import type { Text } from '../text.js';
import {
  BLACK_CAMERA_LUMA,
  computerStarved,
  LIMITED_SHARE_PERCENT,
  MAX_DECODE_MS,
  MAX_DROPPED_PERCENT,
  mirroredKbps,
  pageStarved,
  SILENT_MIC_LEVEL,
} from './computer.js';
import { type AddReason, computerReason, droppedReason, interruptedReasons } from './connection.js';
import type { CheckFigures, CheckThresholds, Verdict } from './figures.js';
import { ADVICE_COMPUTER, ADVICE_LINK, type Reason, type ReasonCode } from './reasons.js';
import { uplinkBandwidth } from './score.js';

export * from './computer.js';
export * from './reasons.js';

/*
 * The verdict of the connection check, by cause: the link (loss, RTT, jitter, bitrate), the
 * computer (an encoder or a page starved of CPU, frames dropped, slow decoding) and the devices (camera,
 * microphone, speakers). A slow computer must not be reported as a slow link: IT would call the
 * internet provider for nothing. Browser-safe: the technician's page shows the same reasons.
 */

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Loss fails the site past this multiple of its limit (below it, a warning). */
export const LOSS_FAIL_FACTOR = 10;

/** Why a bitrate under `min` says nothing about the link, or undefined when it does. */
function bitrateNotMeasured(f: CheckFigures, min: number): Text | undefined {
  const s = f.sender;
  if (!s) return undefined;
  const starved = computerStarved(f);
  // The send path's own estimate is the link's word: low, the link is thin whatever else.
  if (s.estimateKbps !== undefined) {
    if (s.estimateKbps < min) return undefined;
  } else if (s.bandwidthLimitedPercent >= LIMITED_SHARE_PERCENT) return undefined;
  if (starved)
    return {
      vi: 'máy tính không mã hoá kịp hình để đo',
      en: 'the computer could not encode enough video to measure it',
    };
  if (s.estimateKbps !== undefined)
    return {
      vi: `bộ mã hoá gửi ít hơn mức yêu cầu; đường truyền ước lượng ${Math.round(s.estimateKbps)} kbps`,
      en: `the encoder sent less than asked; the link's estimate is ${Math.round(s.estimateKbps)} kbps`,
    };
  return undefined;
}

/**
 * pass / degraded / fail against the thresholds. A figure beyond its limit degrades the site;
 * far beyond (bitrate under half, loss over 10×, RTT or jitter over 2×) or a dead device fails it.
 * Loss fails only past 10× the limit: with NACK/RTX the video stays usable at a few per cent.
 * A bitrate the site's own computer kept low is "not measured", never a link failure.
 */
export function evaluateCheck(
  f: CheckFigures,
  th: CheckThresholds,
): { verdict: Verdict; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const add: AddReason = (code, severity, text, more = {}) =>
    void reasons.push({
      code,
      severity,
      text,
      ...(more.advice ? { advice: more.advice } : {}),
      ...(more.measured !== undefined ? { measured: round(more.measured) } : {}),
      ...(more.limit !== undefined ? { limit: more.limit } : {}),
    });
  // A check the page could not finish says nothing about the bitrates: only why it stopped.
  if (f.interrupted) interruptedReasons(f, add);
  else measuredReasons(f, th, add);
  deviceReasons(f, add);
  const verdict: Verdict = reasons.some((x) => x.severity === 'fail')
    ? 'fail'
    : reasons.some((x) => x.severity === 'degraded')
      ? 'degraded'
      : 'pass';
  return { verdict, reasons };
}

/** The link and the computer, from a check that measured to the end. */
function measuredReasons(f: CheckFigures, th: CheckThresholds, add: AddReason): void {
  if (f.uplink.packets === 0) {
    add('no_media', 'fail', {
      vi: 'Máy chủ không nhận được hình, tiếng',
      en: 'The server received no media',
    });
  }

  // The computer first: it decides whether the bitrate figures measure the link at all. A page
  // that lost its connection while it kept time names the link instead.
  const starved = computerStarved(f);
  // A page so starved it lost its connection would drop out of the meeting too: not ready.
  computerReason(f, pageStarved(f) ? 'fail' : 'degraded', add);
  droppedReason(f, 'degraded', add);
  const r = f.receiver;
  const linkLossy = Math.max(f.uplink.lossPercent, f.downlink.lossPercent) > th.maxLossPercent;
  // Under loss, frames are dropped because they are incomplete: that is the link's doing.
  if (r && !linkLossy && r.framesReceived >= 10) {
    const dropped = (r.framesDropped / r.framesReceived) * 100;
    if (dropped > MAX_DROPPED_PERCENT)
      add(
        'frames_dropped',
        'degraded',
        {
          vi: `Máy tính bỏ ${round(dropped, 0)} % số hình nhận về (tối đa ${MAX_DROPPED_PERCENT} %)`,
          en: `The computer dropped ${round(dropped, 0)} % of the received frames (at most ${MAX_DROPPED_PERCENT} %)`,
        },
        { measured: dropped, limit: MAX_DROPPED_PERCENT, advice: ADVICE_COMPUTER },
      );
  }
  if (r?.decodeMs !== undefined && r.decodeMs > MAX_DECODE_MS)
    add(
      'decode_slow',
      'degraded',
      {
        vi: `Máy tính giải mã hình chậm: ${round(r.decodeMs)} ms mỗi hình, tối đa ${MAX_DECODE_MS} ms`,
        en: `The computer decodes video slowly: ${round(r.decodeMs)} ms a frame, at most ${MAX_DECODE_MS} ms`,
      },
      { measured: r.decodeMs, limit: MAX_DECODE_MS, advice: ADVICE_COMPUTER },
    );

  // The page's forced probe measured the link itself: its figure decides, not the encoder's.
  const probed = f.uplinkProbe && f.sender?.probeKbps ? uplinkBandwidth(f) : undefined;
  if (probed) {
    const v = probed.kbps === undefined ? undefined : Math.round(probed.kbps);
    if (v === undefined || (probed.bound === 'at-least' && v < th.minUplinkKbps))
      add(
        'uplink_not_measured',
        'info',
        {
          vi: `Băng thông gửi đi: chưa đo được${probed.note ? ` (${probed.note.vi})` : ''}`,
          en: `Uplink bandwidth: not measured${probed.note ? ` (${probed.note.en})` : ''}`,
        },
        { ...(v !== undefined ? { measured: v } : {}), limit: th.minUplinkKbps },
      );
    else if (v < th.minUplinkKbps)
      add(
        'uplink_low',
        v < th.minUplinkKbps / 2 ? 'fail' : 'degraded',
        {
          vi: `Băng thông gửi đi ${v} kbps, cần ít nhất ${th.minUplinkKbps} kbps (đo bằng luồng thử ${f.sender?.probeKbps} kbps)`,
          en: `Uplink ${v} kbps, at least ${th.minUplinkKbps} kbps needed (probed at ${f.sender?.probeKbps} kbps)`,
        },
        { measured: v, limit: th.minUplinkKbps, advice: ADVICE_LINK },
      );
  }
  const upWhy =
    !probed && f.uplink.kbps < th.minUplinkKbps
      ? bitrateNotMeasured(f, th.minUplinkKbps)
      : undefined;
  if (!probed && f.uplink.kbps < th.minUplinkKbps) {
    const v = Math.round(f.uplink.kbps);
    if (upWhy)
      add(
        'uplink_not_measured',
        'info',
        {
          vi: `Băng thông gửi đi: chưa đo được (${upWhy.vi}; đã gửi ${v} kbps)`,
          en: `Uplink bandwidth: not measured (${upWhy.en}; ${v} kbps sent)`,
        },
        { measured: f.uplink.kbps, limit: th.minUplinkKbps },
      );
    else
      add(
        'uplink_low',
        f.uplink.kbps < th.minUplinkKbps / 2 ? 'fail' : 'degraded',
        {
          vi: `Băng thông gửi đi ${v} kbps, cần ít nhất ${th.minUplinkKbps} kbps`,
          en: `Uplink ${v} kbps, at least ${th.minUplinkKbps} kbps needed`,
        },
        { measured: f.uplink.kbps, limit: th.minUplinkKbps, advice: ADVICE_LINK },
      );
  }
  if (f.downlink.kbps < th.minDownlinkKbps) {
    const v = Math.round(f.downlink.kbps);
    // The downlink carries the site's own stream back: it cannot carry more than was sent. When
    // it brought back nearly all of it, the figure is bounded by the uplink, not the downlink.
    const mirrored = f.uplink.packets > 0 && f.downlink.kbps >= mirroredKbps(f) * 0.9;
    // A page starved of CPU reads its socket late: what it counted is not what the link carried.
    if (mirrored || starved)
      add(
        'downlink_not_measured',
        'info',
        mirrored && !starved
          ? {
              vi: `Băng thông nhận về: chưa đo được (chỉ nhận lại được những gì đã gửi đi, ${v} kbps, không thiếu)`,
              en: `Downlink bandwidth: not measured (it can only bring back what was sent: ${v} kbps, all of it)`,
            }
          : {
              vi: `Băng thông nhận về: chưa đo được (máy tính quá tải; nhận ${v} kbps)`,
              en: `Downlink bandwidth: not measured (the computer is overloaded; ${v} kbps received)`,
            },
        { measured: f.downlink.kbps, limit: th.minDownlinkKbps },
      );
    else
      add(
        'downlink_low',
        f.downlink.kbps < th.minDownlinkKbps / 2 ? 'fail' : 'degraded',
        {
          vi: `Băng thông nhận về ${v} kbps, cần ít nhất ${th.minDownlinkKbps} kbps`,
          en: `Downlink ${v} kbps, at least ${th.minDownlinkKbps} kbps needed`,
        },
        { measured: f.downlink.kbps, limit: th.minDownlinkKbps, advice: ADVICE_LINK },
      );
  }

  const above = (
    code: ReasonCode,
    value: number | undefined,
    max: number,
    failAt: number,
    unit: string,
    label: Text,
  ) => {
    if (value === undefined || value <= max) return;
    const v = round(value);
    add(
      code,
      value > max * failAt ? 'fail' : 'degraded',
      {
        vi: `${label.vi} ${v} ${unit}, tối đa ${max} ${unit}`,
        en: `${label.en} ${v} ${unit}, at most ${max} ${unit}`,
      },
      { measured: value, limit: max, advice: ADVICE_LINK },
    );
  };
  // A page so starved it lost its connection does not drain or fill its sockets in time either:
  // the packets it lost are its own, and blaming the link would send IT to the provider for nothing.
  const loss = (code: 'loss_up' | 'loss_down', value: number, label: Text) => {
    if (!pageStarved(f) || value <= th.maxLossPercent) {
      above(code, value, th.maxLossPercent, LOSS_FAIL_FACTOR, '%', label);
      return;
    }
    const v = round(value);
    add(
      code,
      'info',
      {
        vi: `${label.vi} ${v} %: chưa đánh giá được vì máy tính quá tải`,
        en: `${label.en} ${v} %: not judged, the computer is overloaded`,
      },
      { measured: value, limit: th.maxLossPercent },
    );
  };
  loss('loss_up', f.uplink.lossPercent, { vi: 'Mất gói chiều gửi', en: 'Uplink loss' });
  loss('loss_down', f.downlink.lossPercent, { vi: 'Mất gói chiều nhận', en: 'Downlink loss' });
  above('rtt', f.downlink.rttMs, th.maxRttMs, 2, 'ms', {
    vi: 'Độ trễ khứ hồi',
    en: 'Round-trip time',
  });
  // A computer starved of CPU sends its packets late and reads them late: the jitter it shows
  // either way is its own, not the link's.
  const jitter = (code: 'jitter_up' | 'jitter_down', value: number, label: Text) => {
    if (!starved || value <= th.maxJitterMs) {
      above(code, value, th.maxJitterMs, 2, 'ms', label);
      return;
    }
    const v = round(value);
    add(
      code,
      'info',
      {
        vi: `${label.vi} ${v} ms: chưa đánh giá được vì máy tính quá tải`,
        en: `${label.en} ${v} ms: not judged, the computer is overloaded`,
      },
      { measured: value, limit: th.maxJitterMs },
    );
  };
  jitter('jitter_up', f.uplink.jitterMs, { vi: 'Độ dao động trễ chiều gửi', en: 'Uplink jitter' });
  jitter('jitter_down', f.downlink.jitterMs, {
    vi: 'Độ dao động trễ chiều nhận',
    en: 'Downlink jitter',
  });
  if (f.protocol === 'tcp') {
    add('tcp', 'degraded', {
      vi: 'Kết nối đi qua TCP (tường lửa chặn UDP), hình tiếng dễ bị giật',
      en: 'Media goes over TCP (UDP blocked), expect stalls',
    });
  }
  if (f.uplink.packets > 0 && f.downlink.framesDecoded === 0) {
    add('no_video_decoded', 'fail', {
      vi: 'Không giải mã được hình nhận về',
      en: 'No video frame was decoded',
    });
  }
}

/** The devices: judged by the page itself, whether or not the measurement finished. */
function deviceReasons(f: CheckFigures, add: AddReason): void {
  if (f.micLevel < SILENT_MIC_LEVEL) {
    add(
      'mic_silent',
      'fail',
      {
        vi: 'Micro không thu được âm thanh, hãy kiểm tra micro đã chọn',
        en: 'The microphone is silent, check the selected microphone',
      },
      { measured: f.micLevel, limit: SILENT_MIC_LEVEL },
    );
  }
  if (f.cameraLuma < BLACK_CAMERA_LUMA) {
    add(
      'camera_black',
      'fail',
      {
        vi: 'Hình camera bị đen, hãy mở nắp che hoặc chọn camera khác',
        en: 'The camera picture is black, uncover it or pick another camera',
      },
      { measured: f.cameraLuma, limit: BLACK_CAMERA_LUMA },
    );
  }
  if (f.speakersConfirmed === false) {
    add('speakers', 'fail', {
      vi: 'Loa không phát được âm thanh thử',
      en: 'The speakers did not play the test tone',
    });
  }
}
