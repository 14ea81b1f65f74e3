import { formatLongDateVi } from '../../protocol/time.js';
import type { Lang } from './i18n.js';

/** The long date of an instant in the reader's language ("Thứ Hai, ngày 02 tháng 11 năm 2026"), in Vietnam's time zone. */
export function longDate(iso: string, lang: Lang): string {
  if (lang === 'vi') return formatLongDateVi(iso);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    weekday: 'long',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(iso));
}
