import { z } from 'zod';
import { computerStarved, mirroredKbps, pageStarved } from './computer.js';
import type { CheckFigures } from './figures.js';

/*
 * What a check's figures mean to people: the bandwidth the link was shown to carry (with how it
 * was measured and how far to trust it), an audio score (MOS from a simplified ITU-T G.107
 * E-model) and the video the link can carry ("đủ cho 720p"), folded into one grade per site.
 * Browser-safe: the technician's page and the IT board read the same assessment the server stores.
 */

type Text = { vi: string; en: string };
const text = z.object({ vi: z.string(), en: z.string() });

export const grades = ['good', 'fair', 'poor', 'bad'] as const;
export const gradeSchema = z.enum(grades);
export type Grade = z.infer<typeof gradeSchema>;

export const gradeLabels: Readonly<Record<Grade, Text>> = {
  good: { vi: 'Tốt', en: 'Good' },
  fair: { vi: 'Trung bình', en: 'Fair' },
  poor: { vi: 'Kém', en: 'Poor' },
  bad: { vi: 'Không dùng được', en: 'Unusable' },
};

/** How a bandwidth figure was obtained. */
export const bandwidthMethods = [
  'calibrated-sender',
  'sender-estimate',
  'encoder',
  'loopback',
  'none',
] as const;
export const bandwidthMethodLabels: Readonly<Record<(typeof bandwidthMethods)[number], Text>> = {
  'calibrated-sender': {
    vi: 'luồng thử hiệu chuẩn (gửi đúng mức yêu cầu, máy chủ đếm số nhận được)',
    en: 'calibrated test stream (sent at the asked rate, counted where it arrives)',
  },
  'sender-estimate': {
    vi: 'bộ điều khiển nghẽn của trình duyệt tự giảm tốc (máy chủ đếm số nhận được)',
    en: "the browser's congestion control backed off (counted where it arrives)",
  },
  encoder: {
    vi: 'những gì bộ mã hoá camera đã gửi (không ép mức)',
    en: "what the camera's encoder sent (not forced)",
  },
  loopback: {
    vi: 'luồng gửi lại từ máy chủ (không vượt được chiều gửi)',
    en: 'the stream looped back by the server (bounded by the uplink)',
  },
  none: { vi: 'chưa đo được', en: 'not measured' },
};

export const confidenceLabels: Readonly<Record<'high' | 'medium' | 'low', Text>> = {
  high: { vi: 'tin cậy cao', en: 'high confidence' },
  medium: { vi: 'tin cậy vừa', en: 'medium confidence' },
  low: { vi: 'tin cậy thấp', en: 'low confidence' },
};

export const bandwidthFigureSchema = z.object({
  /** Absent: not measured ("chưa đo được"). */
  kbps: z.number().min(0).max(1_000_000).optional(),
  /** about: the link's limit; at-least: the link carried all that was asked, it may carry more. */
  bound: z.enum(['about', 'at-least']).optional(),
  method: z.enum(bandwidthMethods),
  confidence: z.enum(['high', 'medium', 'low']),
  /** Why, in a few words (e.g. why it could not be measured). */
  note: text.optional(),
});
export type BandwidthFigure = z.infer<typeof bandwidthFigureSchema>;

/** The picture the link can carry: the meeting's simulcast ladder (page's SIMULCAST). */
export const videoLadder = [
  { height: 720, kbps: 1250 },
  { height: 360, kbps: 550 },
  { height: 180, kbps: 200 },
] as const;

export const checkAssessmentSchema = z.object({
  grade: gradeSchema,
  /** Why the grade, in one line ("tiếng rõ (MOS 4,4), hình đủ cho 720p"). */
  summary: text,
  uplink: bandwidthFigureSchema,
  downlink: bandwidthFigureSchema,
  audio: z.object({
    /** Mean opinion score 1..4.5 (E-model, G.107 simplified). */
    mos: z.number().min(1).max(5),
    /** The E-model's transmission rating 0..100. */
    r: z.number(),
    grade: gradeSchema,
  }),
  video: z.object({
    /** Tallest picture of the ladder the link carried (0: none). */
    height: z.int().min(0),
    /** Frames a second the looped-back video decoded at. */
    fps: z.number().min(0).optional(),
    /** The height is a lower bound (the bandwidth was not fully measured). */
    atLeast: z.boolean(),
    grade: gradeSchema,
    text,
  }),
});
export type CheckAssessment = z.infer<typeof checkAssessmentSchema>;

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Audio MOS from RTT, jitter and loss: the simplified E-model (ITU-T G.107 as Cole & Rosenbluth
 * reduce it). One-way delay = RTT/2 + a jitter buffer of 2× jitter + 20 ms of packetisation;
 * Opus with its loss concealment taken as Ie = 0, Bpl = 20 (G.113's G.711+PLC is 25.1).
 */
export function audioMos(rttMs: number, jitterMs: number, lossPercent: number) {
  const d = rttMs / 2 + 2 * jitterMs + 20;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const loss = Math.max(0, Math.min(100, lossPercent));
  const ie = (95 * loss) / (loss + 20);
  const r = Math.max(0, Math.min(100, 93.2 - id - ie));
  const mos = r <= 0 ? 1 : 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return { mos: Math.round(Math.min(4.5, Math.max(1, mos)) * 100) / 100, r: round1(r) };
}

export function mosGrade(mos: number): Grade {
  return mos >= 4 ? 'good' : mos >= 3.6 ? 'fair' : mos >= 3.1 ? 'poor' : 'bad';
}

/**
 * The uplink the link was shown to carry. The page's probe forces its calibrated stream (the
 * camera with noise mixed in, so the encoder spends what it is given) to `probeKbps`: the send
 * path's estimate may not go below it, so what arrives at the server is the link's answer. If the
 * encoder pushed what was asked and less arrived, the link's limit is what arrived; if all of it
 * arrived, the link carries at least that. Results without a probe (older pages) fall back on
 * the measurement phase, where the browser's congestion control may have backed off (GCC keeps
 * ~85 % of a link), and on the encoder's own limits.
 */
export function uplinkBandwidth(f: CheckFigures): BandwidthFigure {
  const s = f.sender;
  if (f.uplink.packets === 0)
    return {
      method: 'none',
      confidence: 'low',
      note: { vi: 'máy chủ không nhận được gì', en: 'nothing arrived at the server' },
    };
  const probe = f.uplinkProbe;
  if (probe && s?.probeKbps) {
    // What the link ran at (resends, RTCP and headers too) when known; else the media alone. The
    // measurement phase counts too: the link carried at least what it carried then.
    const wire = (u: typeof probe) => u.wireKbps ?? u.kbps;
    const probed = Math.round(wire(probe));
    const got = Math.max(probed, Math.round(wire(f.uplink)));
    const asked = s.probeKbps;
    const pushed = s.probeSentKbps;
    if (got >= asked * 0.9)
      return { kbps: got, bound: 'at-least', method: 'calibrated-sender', confidence: 'high' };
    if (pushed !== undefined && pushed >= asked * 0.9)
      return { kbps: probed, bound: 'about', method: 'calibrated-sender', confidence: 'high' };
    // Pushed less than asked. The link held it back if the send path said so (its estimate under
    // the rate, bandwidth-limited encoding) or cut much of what was pushed: then what arrived is
    // the link's limit. A starved or saturated encoder says nothing about the link.
    // The send path's estimate, when known, is the link's word: a computer too starved to pace
    // its packets makes Chromium report a 'bandwidth' limitation while the estimate stays high.
    const heldBack =
      (s.estimateKbps !== undefined
        ? s.estimateKbps < asked * 0.9
        : s.limitation === 'bandwidth' || s.bandwidthLimitedPercent >= 20) ||
      probe.lossPercent >= 20;
    if (heldBack)
      return {
        kbps: probed,
        bound: 'about',
        method: 'calibrated-sender',
        confidence: 'medium',
        ...(pushed !== undefined
          ? {
              note: {
                vi: `trình duyệt chỉ đẩy được ${Math.round(pushed)} trong ${asked} kbps yêu cầu`,
                en: `the browser could push only ${Math.round(pushed)} of the ${asked} kbps asked`,
              },
            }
          : {}),
      };
    if (computerStarved(f))
      return {
        method: 'none',
        confidence: 'low',
        note: {
          vi: `máy tính không mã hoá kịp hình để đo (gửi được ${got} kbps)`,
          en: `the computer could not encode enough video to measure it (${got} kbps sent)`,
        },
      };
    return {
      kbps: got,
      bound: 'at-least',
      method: 'calibrated-sender',
      confidence: 'low',
      note: {
        vi: `bộ mã hoá chỉ gửi được ${Math.round(pushed ?? got)} trong ${asked} kbps yêu cầu`,
        en: `the encoder sent only ${Math.round(pushed ?? got)} of the ${asked} kbps asked`,
      },
    };
  }
  const got = Math.round(f.uplink.kbps);
  const linkHeldBack =
    s !== undefined &&
    (s.estimateKbps !== undefined
      ? s.targetKbps !== undefined && s.estimateKbps < s.targetKbps
      : s.limitation === 'bandwidth' || s.bandwidthLimitedPercent >= 20);
  if (s && computerStarved(f) && !linkHeldBack)
    return {
      method: 'none',
      confidence: 'low',
      note: {
        vi: `máy tính không mã hoá kịp hình để đo (gửi được ${got} kbps)`,
        en: `the computer could not encode enough video to measure it (${got} kbps sent)`,
      },
    };
  if (linkHeldBack)
    return { kbps: got, bound: 'about', method: 'sender-estimate', confidence: 'medium' };
  return { kbps: got, bound: 'at-least', method: 'encoder', confidence: 'low' };
}

/**
 * The downlink carries the site's own stream back: it cannot show more than arrived at the
 * server. When nearly all of it came back, the downlink carried at least that much.
 */
export function downlinkBandwidth(f: CheckFigures, up: BandwidthFigure): BandwidthFigure {
  const got = Math.round(f.downlink.kbps);
  if (f.uplink.packets === 0 || (got === 0 && f.downlink.framesDecoded === 0 && up.kbps === 0))
    return { method: 'none', confidence: 'low' };
  if (computerStarved(f) && got < mirroredKbps(f) * 0.9)
    return {
      method: 'none',
      confidence: 'low',
      note: {
        vi: `máy tính quá tải, không đọc kịp (nhận ${got} kbps)`,
        en: `the computer was too busy to read it all (${got} kbps received)`,
      },
    };
  if (got >= mirroredKbps(f) * 0.9)
    return {
      kbps: got,
      bound: 'at-least',
      method: 'loopback',
      confidence: up.confidence === 'high' ? 'high' : 'medium',
    };
  return { kbps: got, bound: 'about', method: 'loopback', confidence: 'medium' };
}

function videoCarried(f: CheckFigures, up: BandwidthFigure, down: BandwidthFigure) {
  // A downlink that brought back all that was sent is bounded by the uplink: it limits nothing.
  const known = [up, ...(down.bound === 'about' ? [down] : [])].filter((b) => b.kbps !== undefined);
  const limiting = known.sort((a, b) => a.kbps! - b.kbps!)[0];
  const kbps = limiting?.kbps;
  const atLeast = limiting === undefined || limiting.bound === 'at-least';
  const rung = kbps === undefined ? undefined : videoLadder.find((r) => kbps >= r.kbps);
  const height = rung?.height ?? 0;
  const fps =
    f.downlink.durationMs > 0
      ? round1((f.downlink.framesDecoded * 1000) / f.downlink.durationMs)
      : undefined;
  // Below 10 frames a second the picture stutters whatever its size.
  const choppy = fps !== undefined && fps < 10 && f.downlink.framesDecoded > 0;
  // Not measured is not "no video": the reasons say why; the grade comes from what was measured.
  let grade: Grade =
    kbps === undefined
      ? 'fair'
      : height >= 720
        ? 'good'
        : height >= 360
          ? 'fair'
          : height >= 180
            ? 'poor'
            : 'bad';
  if (choppy && grade !== 'bad') grade = 'poor';
  if (f.downlink.framesDecoded === 0 && f.uplink.packets > 0) grade = 'bad';
  const fpsText =
    fps !== undefined && fps > 0
      ? { vi: `, ${Math.round(fps)} hình/giây`, en: `, ${Math.round(fps)} fps` }
      : { vi: '', en: '' };
  let t: Text;
  if (kbps === undefined)
    t = { vi: 'chưa đo được hình đi qua được', en: 'the video the link carries was not measured' };
  else if (height === 0) t = { vi: 'không đủ cho hình', en: 'not enough for video' };
  else if (choppy)
    t = {
      vi: `giật: đủ băng thông cho ${height}p nhưng chỉ giải mã được ${Math.round(fps ?? 0)} hình/giây`,
      en: `choppy: bandwidth enough for ${height}p but only ${Math.round(fps ?? 0)} fps decoded`,
    };
  else if (height >= 720)
    t = { vi: `đủ cho ${height}p${fpsText.vi}`, en: `enough for ${height}p${fpsText.en}` };
  else if (atLeast)
    t = {
      vi: `đủ ít nhất cho ${height}p${fpsText.vi} (chưa đo được mức cao hơn)`,
      en: `enough for at least ${height}p${fpsText.en} (more was not measured)`,
    };
  else
    t = { vi: `chỉ đủ cho ${height}p${fpsText.vi}`, en: `only enough for ${height}p${fpsText.en}` };
  return { height, ...(fps !== undefined ? { fps } : {}), atLeast, grade, text: t };
}

const worst = (...gs: Grade[]): Grade => grades[Math.max(...gs.map((g) => grades.indexOf(g)))]!;

/**
 * A check the page could not finish (its connection kept dropping): nothing was measured to the
 * end, so the grade says why. A starved computer cannot hold a meeting page either: poor; a link
 * that keeps dropping: unusable.
 */
function assessInterrupted(f: CheckFigures): CheckAssessment {
  const computer = computerStarved(f);
  const none: BandwidthFigure = {
    method: 'none',
    confidence: 'low',
    note: { vi: 'kiểm tra không đo xong', en: 'the check could not finish measuring' },
  };
  const n = f.drops ?? 0;
  const times =
    n > 0 ? { vi: ` ${n} lần`, en: ` ${n} time${n > 1 ? 's' : ''}` } : { vi: '', en: '' };
  const summary: Text = computer
    ? {
        vi: `máy tính xử lý không kịp: trang kiểm tra mất kết nối${times.vi}, chưa đo được đường truyền`,
        en: `the computer cannot keep up: the check page lost its connection${times.en}, the link was not measured`,
      }
    : {
        vi: `kết nối tới máy chủ bị ngắt${times.vi}, chưa đo được đường truyền`,
        en: `the connection to the server dropped${times.en}, the link was not measured`,
      };
  return {
    grade: computer ? 'poor' : 'bad',
    summary,
    uplink: none,
    downlink: none,
    audio: { mos: 1, r: 0, grade: computer ? 'poor' : 'bad' },
    video: {
      height: 0,
      atLeast: true,
      grade: computer ? 'poor' : 'bad',
      text: {
        vi: 'chưa đo được hình đi qua được',
        en: 'the video the link carries was not measured',
      },
    },
  };
}

/** The site's grade and the figures behind it. */
export function assessCheck(f: CheckFigures): CheckAssessment {
  if (f.interrupted) return assessInterrupted(f);
  const uplink = uplinkBandwidth(f);
  const downlink = downlinkBandwidth(f, uplink);
  const { mos, r } = audioMos(
    f.downlink.rttMs ?? 0,
    Math.max(f.uplink.jitterMs, f.downlink.jitterMs),
    Math.max(f.uplink.lossPercent, f.downlink.lossPercent),
  );
  const audio = { mos, r, grade: f.uplink.packets === 0 ? ('bad' as const) : mosGrade(mos) };
  const video = videoCarried(f, uplink, downlink);
  // A computer that cannot keep up shows the meeting no better than fair, whatever the link; one
  // that lost its connection for it, no better than poor.
  const computer: Grade = pageStarved(f) ? 'poor' : computerStarved(f) ? 'fair' : 'good';
  const grade = worst(audio.grade, video.grade, computer);
  const audioText: Record<Grade, Text> = {
    good: { vi: 'tiếng rõ', en: 'clear audio' },
    fair: { vi: 'tiếng nghe được', en: 'audio usable' },
    poor: { vi: 'tiếng khó nghe', en: 'audio hard to follow' },
    bad: { vi: 'tiếng không nghe được', en: 'audio unusable' },
  };
  const mosText = mos.toFixed(1);
  const summary: Text = {
    vi: `${audioText[audio.grade].vi} (MOS ${mosText.replace('.', ',')}), hình ${video.text.vi}${computer !== 'good' ? '; máy tính xử lý không kịp' : ''}`,
    en: `${audioText[audio.grade].en} (MOS ${mosText}), video ${video.text.en}${computer !== 'good' ? '; the computer cannot keep up' : ''}`,
  };
  return { grade, summary, uplink, downlink, audio, video };
}

/** "≈ 590 kbps" / "≥ 1850 kbps" / "chưa đo được", with the method and confidence. */
export function bandwidthText(b: BandwidthFigure, lang: 'vi' | 'en'): string {
  if (b.kbps === undefined)
    return `${bandwidthMethodLabels.none[lang]}${b.note ? ` (${b.note[lang]})` : ''}`;
  const sign = b.bound === 'at-least' ? '≥' : '≈';
  const note = b.note ? `; ${b.note[lang]}` : '';
  return `${sign} ${b.kbps} kbps (${bandwidthMethodLabels[b.method][lang]}, ${confidenceLabels[b.confidence][lang]}${note})`;
}
