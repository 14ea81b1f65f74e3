import type { Text } from '../text.js';
import {
  encoderStarved,
  encodeUsagePercent,
  LIMITED_SHARE_PERCENT,
  pageStarved,
} from './computer.js';
import type { CheckFigures } from './figures.js';
import { ADVICE_COMPUTER, ADVICE_LINK, type Reason, type ReasonCode } from './reasons.js';

/*
 * Why the computer could not keep up, in words, and what a check whose page lost its connection
 * says: a page starved of CPU misses the server's heartbeat and drops out, which is the
 * computer's doing, never a bandwidth figure; a page that drops while it keeps time is the link's.
 */

export type AddReason = (
  code: ReasonCode,
  severity: Reason['severity'],
  text: Text,
  more?: { measured?: number; limit?: number; advice?: Text },
) => void;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** "1,2 giây" / "1.2 s". */
const seconds = (ms: number): Text => ({
  vi: `${round(ms / 1000)
    .toString()
    .replace('.', ',')} giây`,
  en: `${round(ms / 1000)} s`,
});

/** What the figures show of a starved computer: its encoder, its page, or both. */
export function computerWhys(f: CheckFigures): Text[] {
  const whys: Text[] = [];
  const s = f.sender;
  if (s && encoderStarved(f)) {
    const sent =
      s.sentHeight && s.sentFps
        ? {
            vi: `, gửi ${s.sentHeight}p ${round(s.sentFps, 0)} hình/giây`,
            en: `, sending ${s.sentHeight}p at ${round(s.sentFps, 0)} fps`,
          }
        : { vi: '', en: '' };
    whys.push(
      s.cpuLimitedPercent >= LIMITED_SHARE_PERCENT || s.limitation === 'cpu'
        ? {
            vi: `bộ mã hoá hình bị giới hạn bởi CPU ${round(s.cpuLimitedPercent, 0)} % thời gian đo${sent.vi}`,
            en: `video encoding was limited by the CPU ${round(s.cpuLimitedPercent, 0)} % of the time${sent.en}`,
          }
        : {
            vi: `mã hoá mỗi hình mất ${round(s.encodeMs ?? 0, 0)} ms, ${round(encodeUsagePercent(s), 0)} % thời gian giữa hai hình${sent.vi}`,
            en: `encoding a frame took ${round(s.encodeMs ?? 0, 0)} ms, ${round(encodeUsagePercent(s), 0)} % of the time between frames${sent.en}`,
          },
    );
  }
  if (pageStarved(f)) {
    const lag = seconds(f.pageLagMs ?? 0);
    const n = f.drops ?? 0;
    whys.push(
      n > 0
        ? {
            vi: `trang kiểm tra bị treo tới ${lag.vi}, không trả lời máy chủ kịp nên mất kết nối ${n} lần`,
            en: `the check page stalled for up to ${lag.en}, answered the server too late and lost its connection ${n} time${n > 1 ? 's' : ''}`,
          }
        : {
            vi: `trang kiểm tra bị treo tới ${lag.vi}, không theo kịp các bước đo`,
            en: `the check page stalled for up to ${lag.en} and could not keep up with the measurement`,
          },
    );
  }
  return whys;
}

const join = (whys: Text[]): Text => ({
  vi: whys.map((w) => w.vi).join('; '),
  en: whys.map((w) => w.en).join('; '),
});

/** The computer's reason, when the figures show it starved (severity: how much it cost the check). */
export function computerReason(f: CheckFigures, severity: Reason['severity'], add: AddReason) {
  const whys = computerWhys(f);
  if (whys.length === 0) return false;
  const why = join(whys);
  const tail = f.interrupted
    ? { vi: '; chưa đo xong đường truyền', en: '; the link could not be measured' }
    : { vi: '', en: '' };
  add(
    'computer_slow',
    severity,
    {
      vi: `Máy tính xử lý không kịp: ${why.vi}${tail.vi}`,
      en: `The computer cannot keep up: ${why.en}${tail.en}`,
    },
    { advice: ADVICE_COMPUTER },
  );
  return true;
}

/** Drops while the page kept time: the link (or the path to the server) broke. */
export function droppedReason(f: CheckFigures, severity: Reason['severity'], add: AddReason) {
  const n = f.drops ?? 0;
  if (pageStarved(f) || (n === 0 && !f.interrupted)) return;
  const times =
    n > 0 ? { vi: ` ${n} lần`, en: ` ${n} time${n > 1 ? 's' : ''}` } : { vi: '', en: '' };
  add(
    'connection_lost',
    severity,
    f.interrupted
      ? {
          vi: `Kết nối tới máy chủ bị ngắt${times.vi}, không đo xong đường truyền`,
          en: `The connection to the server dropped${times.en}; the link could not be measured`,
        }
      : {
          vi: `Kết nối tới máy chủ bị ngắt${times.vi} trong lúc kiểm tra`,
          en: `The connection to the server dropped${times.en} during the check`,
        },
    { measured: n, advice: ADVICE_LINK },
  );
}

/**
 * The page gave up measuring because its connection kept dropping: why, and that the bitrates
 * were not measured. A starved computer is named (it fails: the meeting would drop it too);
 * otherwise the connection is.
 */
export function interruptedReasons(f: CheckFigures, add: AddReason): void {
  if (!computerReason(f, 'fail', add)) droppedReason(f, 'fail', add);
  const why = { vi: 'kiểm tra không đo xong', en: 'the check could not finish measuring' };
  add('uplink_not_measured', 'info', {
    vi: `Băng thông gửi đi: chưa đo được (${why.vi})`,
    en: `Uplink bandwidth: not measured (${why.en})`,
  });
  add('downlink_not_measured', 'info', {
    vi: `Băng thông nhận về: chưa đo được (${why.vi})`,
    en: `Downlink bandwidth: not measured (${why.en})`,
  });
}
