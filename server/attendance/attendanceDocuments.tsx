import type { ComponentChildren } from 'preact';
import type { AttendanceSummary, MeetingRecord } from '../../protocol/attendance.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { formatDate, formatDateTime, formatTime, vietnamParts } from '../../protocol/time.js';
import {
  BrJoined,
  DocumentHead,
  LetterHead,
  Lines,
  renderDocument,
} from '../documents/renderDocument.js';

/** The attendance report's and the record's style (Times 13 pt, A4); a constant, never data. */
const css = `
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
`;

/**
 * An A4 document with the letters' header (organizer left, the state's motto right), rendered by
 * Preact: every field below is a text node, escaped by the renderer.
 */
function page(title: string, meeting: Meeting, body: ComponentChildren): string {
  return renderDocument(
    <html lang="vi">
      <DocumentHead title={title} css={css} />
      <body>
        <article class="page">
          <LetterHead organizer={meeting.organizer} />
          {body}
        </article>
      </body>
    </html>,
  );
}

/** "07:35:12": connection times need the seconds a dropout may last. */
export function clock(iso: string): string {
  const p = vietnamParts(iso);
  return [p.hour, p.minute, p.second].map((n) => String(n).padStart(2, '0')).join(':');
}

const times = (row: AttendanceSummary['rows'][number]) =>
  row.intervals.map((i) => `${clock(i.joinedAt)}–${i.leftAt ? clock(i.leftAt) : '…'}`).join('; ');

function AttendanceTable(props: { summary: AttendanceSummary }) {
  const t = props.summary.totals;
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>TT</th>
          <th>Điểm cầu</th>
          <th>Dự kiến</th>
          <th>Có mặt</th>
          <th>Thành phần có mặt</th>
          <th>Số phút kết nối</th>
          <th>Số lần mất kết nối</th>
          <th>Thời gian kết nối</th>
        </tr>
      </thead>
      <tbody>
        {props.summary.rows.map((r, i) => {
          const short =
            r.expected !== undefined && r.confirmation && r.confirmation.headCount < r.expected;
          return (
            <tr>
              <td class="c">{i + 1}</td>
              <td>{r.siteName}</td>
              <td class="c">{r.expected ?? ''}</td>
              <td class={short ? 'c short' : 'c'}>
                {r.confirmation ? r.confirmation.headCount : 'Chưa xác nhận'}
              </td>
              <td>
                <BrJoined
                  items={r.confirmation?.roles.map((x) => `${x.role}: ${x.present}`) ?? []}
                />
              </td>
              <td class="c">{r.minutesConnected}</td>
              <td class="c">{r.dropouts}</td>
              <td>{times(r)}</td>
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <td />
          <td>
            <b>Tổng cộng</b> ({t.confirmed}/{t.sites} điểm cầu đã xác nhận)
          </td>
          <td class="c">
            <b>{t.expected}</b>
          </td>
          <td class="c">
            <b>{t.present}</b>
          </td>
          <td colspan={4} />
        </tr>
      </tfoot>
    </table>
  );
}

/** After the meeting: expected vs present per site, minutes connected, dropouts with times. */
export function renderAttendanceReport(meeting: Meeting, summary: AttendanceSummary): string {
  return page(
    `Báo cáo điểm danh – ${meeting.title}`,
    meeting,
    <>
      <h1>Báo cáo tình hình tham dự</h1>
      <p class="center">
        {meeting.title} – {formatDate(meeting.opensAt)}
      </p>
      <AttendanceTable summary={summary} />
    </>,
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

function FloorTable(props: { floor: MeetingRecord['floor'] }) {
  if (props.floor.length === 0) {
    return <p>(Không có điểm cầu nào được trao quyền phát biểu)</p>;
  }
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>Điểm cầu phát biểu</th>
          <th>Từ</th>
          <th>Đến</th>
        </tr>
      </thead>
      <tbody>
        {props.floor.map((f) => (
          <tr>
            <td>{f.siteName}</td>
            <td class="c">{formatTime(f.from)}</td>
            <td class="c">{f.to ? formatTime(f.to) : '…'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The record of the meeting (biên bản): agenda with conclusions, attendance, floor log. */
export function renderMeetingRecord(
  meeting: Meeting,
  summary: AttendanceSummary,
  record: MeetingRecord,
  sites: ReadonlyMap<string, Site>,
): string {
  const byIndex = new Map(record.minutes.map((m) => [m.agendaIndex, m]));
  return page(
    `Biên bản – ${meeting.title}`,
    meeting,
    <>
      <h1>Biên bản hội nghị</h1>
      <p class="center">{meeting.title}</p>
      <p>
        Thời gian: {formatDateTime(meeting.opensAt)}
        {meeting.chair ? `. Chủ trì: ${meeting.chair}` : ''}.
      </p>
      <h2>I. Chương trình và kết luận</h2>
      <table class="grid">
        <thead>
          <tr>
            <th>Thời gian</th>
            <th>Nội dung</th>
            <th>Trình bày</th>
            <th>Kết luận</th>
          </tr>
        </thead>
        <tbody>
          {meeting.agenda.map((a, i) => {
            const who = a.siteId ? (sites.get(a.siteId)?.name ?? a.siteId) : (a.presenter ?? '');
            const c = byIndex.get(i)?.conclusion;
            return (
              <tr>
                <td class="c">{formatTime(a.startsAt)}</td>
                <td>{a.isBreak ? <i>{a.title}</i> : a.title}</td>
                <td>{who}</td>
                <td>{c ? <Lines text={c} /> : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>II. Thành phần tham dự</h2>
      <AttendanceTable summary={summary} />
      <h2>III. Các điểm cầu phát biểu</h2>
      <FloorTable floor={record.floor} />
    </>,
  );
}
