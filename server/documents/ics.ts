import type { Meeting } from '../../protocol/meetings.js';
import { formatDateTime, formatTime } from '../../protocol/time.js';

/** RFC 5545 TEXT escaping: backslash, semicolon, comma, newline. */
export function icsEscape(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** Folds a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 sequence. */
export function icsFold(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  let limit = 75;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > limit) {
      out.push(current);
      current = '';
      bytes = 0;
      limit = 74; // continuation lines start with one space
    }
    current += ch;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** 20111031T010000Z */
export function icsUtc(iso: string | number): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export interface IcsOptions {
  publicUrl: string;
  /** The meeting itself or its technical check. */
  kind: 'meeting' | 'check';
  /** Name of the main site, shown as the location. */
  mainSiteName?: string;
}

/**
 * One VEVENT calendar. Times are UTC so no VTIMEZONE is needed (Vietnam has no DST, every
 * client shows the right local time). UID is stable per meeting and kind; SEQUENCE follows the
 * record's version so a re-imported file updates the event instead of adding one.
 */
export function renderIcs(meeting: Meeting, options: IcsOptions): string {
  const host = new URL(options.publicUrl).hostname || 'diemcau';
  const isCheck = options.kind === 'check';
  const start = isCheck ? meeting.checkAt : meeting.opensAt;
  const end = isCheck
    ? Date.parse(meeting.checkAt) + meeting.checkDurationMinutes * 60_000
    : meeting.closesAt;
  const summary = isCheck ? `Kiểm tra kỹ thuật: ${meeting.title}` : meeting.title;
  const description = isCheck
    ? [
        `Kiểm tra kết nối cho ${meeting.title}.`,
        `Khai mạc: ${formatDateTime(meeting.opensAt)}.`,
        'Cán bộ kỹ thuật có mặt tại điểm cầu, mở thiết bị, chuẩn bị nguồn điện dự phòng.',
        `Technical check for "${meeting.title}". Technician on duty at the site with the equipment ready.`,
      ].join('\n')
    : [
        meeting.organizer,
        meeting.chair ? `Chủ trì: ${meeting.chair}` : '',
        `Kiểm tra kỹ thuật: ${formatDateTime(meeting.checkAt)}`,
        ...meeting.agenda.map((a) => `${formatTime(a.startsAt)} ${a.title}`),
      ]
        .filter(Boolean)
        .join('\n');
  const status =
    meeting.state === 'cancelled'
      ? 'CANCELLED'
      : meeting.state === 'draft'
        ? 'TENTATIVE'
        : 'CONFIRMED';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//diemcau//Diem cau 0.1//VI',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${options.kind}-${meeting.id}@${host}`,
    `DTSTAMP:${icsUtc(meeting.updatedAt)}`,
    `SEQUENCE:${meeting.version}`,
    `DTSTART:${icsUtc(start)}`,
    `DTEND:${icsUtc(end)}`,
    `SUMMARY:${icsEscape(summary)}`,
    `DESCRIPTION:${icsEscape(description)}`,
    ...(options.mainSiteName ? [`LOCATION:${icsEscape(options.mainSiteName)}`] : []),
    `STATUS:${status}`,
    `URL:${options.publicUrl}`,
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    `TRIGGER:-PT${isCheck ? 30 : 60}M`,
    `DESCRIPTION:${icsEscape(summary)}`,
    'END:VALARM',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(icsFold).join('\r\n')}\r\n`;
}
