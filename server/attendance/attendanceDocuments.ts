import type { AttendanceSummary, MeetingRecord } from '../../protocol/attendance.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { formatDate, formatDateTime, formatTime, vietnamParts } from '../../protocol/time.js';
import { escapeHtml } from '../documents/convocation.js';

const page = (title: string, body: string) => `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { font-family: "Times New Roman", Times, "Liberation Serif", serif; font-size: 13pt; line-height: 1.35; color: #000; margin: 0; }
.page { max-width: 210mm; margin: 0 auto; }
@media screen { body { background: #e5e5e5; } .page { background: #fff; padding: 20mm 15mm 20mm 30mm; margin: 8mm auto; min-height: 297mm; } }
table.head { width: 100%; border-collapse: collapse; } table.head td { vertical-align: top; text-align: center; }
.rule { width: 35%; margin: 2pt auto 6pt; border: 0; border-top: 1px solid #000; }
h1 { font-size: 14pt; text-align: center; margin: 12pt 0 4pt; text-transform: uppercase; }
h2 { font-size: 13pt; margin: 10pt 0 4pt; }
p { margin: 4pt 0; text-align: justify; } p.center { text-align: center; font-style: italic; }
table.grid { width: 100%; border-collapse: collapse; font-size: 11.5pt; margin: 4pt 0 8pt; }
table.grid th, table.grid td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; text-align: left; }
table.grid th { text-align: center; } td.c { text-align: center; } .short { font-weight: bold; }
</style>
</head>
<body><article class="page">${body}</article></body>
</html>
`;

const header = (meeting: Meeting) =>
  `<table class="head"><tr><td><b>${escapeHtml(meeting.organizer.toLocaleUpperCase('vi'))}</b><hr class="rule"></td><td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập – Tự do – Hạnh phúc</b><hr class="rule"></td></tr></table>`;

/** "07:35:12": connection times need the seconds a dropout may last. */
export function clock(iso: string): string {
  const p = vietnamParts(iso);
  return [p.hour, p.minute, p.second].map((n) => String(n).padStart(2, '0')).join(':');
}

const times = (row: AttendanceSummary['rows'][number]) =>
  row.intervals.map((i) => `${clock(i.joinedAt)}–${i.leftAt ? clock(i.leftAt) : '…'}`).join('; ');

function attendanceTable(summary: AttendanceSummary): string {
  const rows = summary.rows
    .map((r, i) => {
      const short =
        r.expected !== undefined && r.confirmation && r.confirmation.headCount < r.expected;
      const roles =
        r.confirmation?.roles.map((x) => `${escapeHtml(x.role)}: ${x.present}`).join('<br>') ?? '';
      return `<tr><td class="c">${i + 1}</td><td>${escapeHtml(r.siteName)}</td><td class="c">${r.expected ?? ''}</td><td class="c${short ? ' short' : ''}">${r.confirmation ? r.confirmation.headCount : 'Chưa xác nhận'}</td><td>${roles}</td><td class="c">${r.minutesConnected}</td><td class="c">${r.dropouts}</td><td>${escapeHtml(times(r))}</td></tr>`;
    })
    .join('');
  const t = summary.totals;
  return `<table class="grid"><thead><tr><th>TT</th><th>Điểm cầu</th><th>Dự kiến</th><th>Có mặt</th><th>Thành phần có mặt</th><th>Số phút kết nối</th><th>Số lần mất kết nối</th><th>Thời gian kết nối</th></tr></thead><tbody>${rows}</tbody>
<tfoot><tr><td></td><td><b>Tổng cộng</b> (${t.confirmed}/${t.sites} điểm cầu đã xác nhận)</td><td class="c"><b>${t.expected}</b></td><td class="c"><b>${t.present}</b></td><td colspan="4"></td></tr></tfoot></table>`;
}

/** After the meeting: expected vs present per site, minutes connected, dropouts with times. */
export function renderAttendanceReport(meeting: Meeting, summary: AttendanceSummary): string {
  return page(
    `Báo cáo điểm danh – ${meeting.title}`,
    `${header(meeting)}
<h1>Báo cáo tình hình tham dự</h1>
<p class="center">${escapeHtml(meeting.title)} – ${formatDate(meeting.opensAt)}</p>
${attendanceTable(summary)}`,
  );
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n;]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The same figures as CSV (UTF-8 with BOM so spreadsheet programs read the diacritics). */
export function renderAttendanceCsv(summary: AttendanceSummary): string {
  const head = [
    'Điểm cầu',
    'Dự kiến',
    'Có mặt',
    'Xác nhận lúc',
    'Số phút kết nối',
    'Số lần mất kết nối',
    'Thời gian kết nối',
  ];
  const lines = summary.rows.map((r) =>
    [
      r.siteName,
      r.expected ?? '',
      r.confirmation?.headCount ?? '',
      r.confirmation ? formatDateTime(r.confirmation.confirmedAt) : '',
      r.minutesConnected,
      r.dropouts,
      times(r),
    ]
      .map(csvCell)
      .join(','),
  );
  return `\uFEFF${[head.join(','), ...lines].join('\r\n')}\r\n`;
}

/** The record of the meeting (biên bản): agenda with conclusions, attendance, floor log. */
export function renderMeetingRecord(
  meeting: Meeting,
  summary: AttendanceSummary,
  record: MeetingRecord,
  sites: ReadonlyMap<string, Site>,
): string {
  const byIndex = new Map(record.minutes.map((m) => [m.agendaIndex, m]));
  const agenda = meeting.agenda
    .map((a, i) => {
      const who = a.siteId ? (sites.get(a.siteId)?.name ?? a.siteId) : (a.presenter ?? '');
      const c = byIndex.get(i)?.conclusion;
      return `<tr><td class="c">${formatTime(a.startsAt)}</td><td>${a.isBreak ? `<i>${escapeHtml(a.title)}</i>` : escapeHtml(a.title)}</td><td>${escapeHtml(who)}</td><td>${c ? escapeHtml(c).replace(/\r?\n/g, '<br>') : ''}</td></tr>`;
    })
    .join('');
  const floor = record.floor.length
    ? `<table class="grid"><thead><tr><th>Điểm cầu phát biểu</th><th>Từ</th><th>Đến</th></tr></thead><tbody>${record.floor
        .map(
          (f) =>
            `<tr><td>${escapeHtml(f.siteName)}</td><td class="c">${formatTime(f.from)}</td><td class="c">${f.to ? formatTime(f.to) : '…'}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>(Không có điểm cầu nào được trao quyền phát biểu)</p>';
  return page(
    `Biên bản – ${meeting.title}`,
    `${header(meeting)}
<h1>Biên bản hội nghị</h1>
<p class="center">${escapeHtml(meeting.title)}</p>
<p>Thời gian: ${formatDateTime(meeting.opensAt)}${meeting.chair ? `. Chủ trì: ${escapeHtml(meeting.chair)}` : ''}.</p>
<h2>I. Chương trình và kết luận</h2>
<table class="grid"><thead><tr><th>Thời gian</th><th>Nội dung</th><th>Trình bày</th><th>Kết luận</th></tr></thead><tbody>${agenda}</tbody></table>
<h2>II. Thành phần tham dự</h2>
${attendanceTable(summary)}
<h2>III. Các điểm cầu phát biểu</h2>
${floor}`,
  );
}
