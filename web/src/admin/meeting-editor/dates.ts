/** Dates and times as people type them in the meeting form (dd/mm/yyyy, 24-hour clock). */

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "2026-11-01" → "01/11/2026": dates are typed and shown as people write them here. */
export function displayDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return y && m && d ? `${d}/${m}/${y}` : '';
}

/** "1/11/2026" or "01/11/2026" → "2026-11-01"; undefined when it is not a real date. */
export function parseDate(text: string): string | undefined {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return undefined;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

/** "7:30", "07:30" or "7h30" → "07:30" (24-hour clock); undefined otherwise. */
export function parseTime(text: string): string | undefined {
  const m = /^\s*(\d{1,2})\s*[:hH.]\s*(\d{2})\s*$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  return `${pad2(h)}:${pad2(min)}`;
}

/** Form date (dd/mm/yyyy) and time (hh:mm) → an instant in Vietnam's offset. */
export const isoOf = (date: string, time: string) =>
  `${parseDate(date) ?? date}T${parseTime(time) ?? time}:00+07:00`;
