/**
 * Local time for people: Asia/Ho_Chi_Minh, dd/mm/yyyy, 24-hour clock. Browser-safe (Intl only).
 * Vietnam has used UTC+7 without daylight saving since 1975, so local wall-clock arithmetic
 * (the default check time) can use the fixed offset; display still goes through Intl so the
 * output matches what a browser shows.
 */
export const VN_TIME_ZONE = 'Asia/Ho_Chi_Minh';
export const VN_OFFSET_MINUTES = 7 * 60;
const OFFSET_MS = VN_OFFSET_MINUTES * 60_000;
const DAY_MS = 86_400_000;

type Instant = string | number | Date;

function toDate(value: Instant): Date {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`Invalid date: ${String(value)}`);
  return d;
}

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: VN_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday, in Vietnam. */
  weekday: number;
}

/** Wall-clock fields of an instant in Vietnam. */
export function vietnamParts(value: Instant): LocalParts {
  const d = toDate(value);
  const p: Record<string, number> = {};
  for (const part of partsFormat.formatToParts(d)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const weekday = new Date(Date.UTC(p.year!, p.month! - 1, p.day!)).getUTCDay();
  return {
    year: p.year!,
    month: p.month!,
    day: p.day!,
    hour: p.hour! % 24,
    minute: p.minute!,
    second: p.second!,
    weekday,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "31/10/2011" */
export function formatDate(value: Instant): string {
  const p = vietnamParts(value);
  return `${pad(p.day)}/${pad(p.month)}/${p.year}`;
}

/** "08:00" */
export function formatTime(value: Instant): string {
  const p = vietnamParts(value);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "08:00 31/10/2011" (time first, as Vietnamese letters write it). */
export function formatDateTime(value: Instant): string {
  return `${formatTime(value)} ${formatDate(value)}`;
}

export const weekdaysVi = [
  'Chủ nhật',
  'Thứ Hai',
  'Thứ Ba',
  'Thứ Tư',
  'Thứ Năm',
  'Thứ Sáu',
  'Thứ Bảy',
] as const;

/** "Thứ Hai, ngày 11 tháng 3 năm 2013" */
export function formatLongDateVi(value: Instant): string {
  const p = vietnamParts(value);
  return `${weekdaysVi[p.weekday]}, ngày ${pad(p.day)} tháng ${p.month} năm ${p.year}`;
}

/** "ngày 21 tháng 10 năm 2011" for a calendar date string (yyyy-mm-dd) as printed on a letter. */
export function formatLetterDateVi(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `ngày ${pad(d!)} tháng ${pad(m!)} năm ${y}`;
}

/** An instant written in Vietnam's offset: "2011-10-31T08:00:00+07:00". */
export function toVietnamIso(value: Instant): string {
  const local = new Date(toDate(value).getTime() + OFFSET_MS);
  return `${local.toISOString().slice(0, 19)}+07:00`;
}

/** The instant of a Vietnam wall-clock time. */
export function vietnamInstant(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute) - OFFSET_MS);
}

/** Calendar date (yyyy-mm-dd) in Vietnam of an instant. */
export function vietnamDate(value: Instant): string {
  return toVietnamIso(value).slice(0, 10);
}

/**
 * The default technical check: 08:00 Vietnam time on the day before the opening
 * (seed 002: "Từ 8h ngày 31/10/2011" for a meeting on 01/11/2011).
 */
export function defaultCheckAt(opensAt: Instant): string {
  const p = vietnamParts(opensAt);
  const dayBefore = new Date(vietnamInstant(p.year, p.month, p.day, 8, 0).getTime() - DAY_MS);
  return toVietnamIso(dayBefore);
}
