import { type CheckResult, candidateLabels, reasonText } from '../../protocol/check/index.js';
import { mediaPathLabel } from '../../protocol/mediaPath.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  checklistItems,
  checklistLabels,
  type MeetingReadiness,
  readinessLabels,
  readinessStates,
} from '../../protocol/readiness.js';
import type { Site } from '../../protocol/sites.js';
import { formatDateTime } from '../../protocol/time.js';
import { BrJoined, DocumentHead, renderDocument } from '../documents/renderDocument.js';

const num = (n: number | undefined, unit: string) => (n === undefined ? '–' : `${n} ${unit}`);

/** A4 landscape, one row per site; a constant, never data. */
const css = `
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Times New Roman", serif; font-size: 11pt; color: #000; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 4pt; }
.sub { text-align: center; margin-bottom: 8pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #444; padding: 3pt 4pt; vertical-align: top; text-align: left; }
th { background: #eee; }
ul { margin: 2pt 0; padding-left: 14pt; }
ul.cl { list-style: none; padding-left: 0; }
.en { color: #555; font-size: 9pt; }
tr.s-failed td:nth-child(3), tr.s-no-show td:nth-child(3) { font-weight: bold; }
`;

type SiteRow = MeetingReadiness['sites'][number];

/** The last check's figures, one line each, Vietnamese then English labels. */
function figureLines(c: CheckResult): string[] {
  const f = c.figures;
  return [
    `Gửi / Up: ${num(f.uplink.kbps, 'kbps')}, mất gói ${f.uplink.lossPercent}%, jitter ${f.uplink.jitterMs} ms`,
    `Nhận / Down: ${num(f.downlink.kbps, 'kbps')}, mất gói ${f.downlink.lossPercent}%, jitter ${f.downlink.jitterMs} ms, RTT ${num(f.downlink.rttMs, 'ms')}`,
    `Kết nối / Path: ${f.path ? `${mediaPathLabel(f.path, f.relayPort).vi}, ` : ''}${candidateLabels[f.candidateType].vi} (${f.protocol.toUpperCase()}), báo hiệu ${f.signalingMs} ms, ICE+DTLS ${num(f.iceDtlsMs, 'ms')}`,
    `Micro ${f.micLevel >= 0.005 ? 'có tiếng' : 'im lặng'}, camera ${f.cameraLuma >= 16 ? 'có hình' : 'đen'}, loa ${f.speakersConfirmed === undefined ? 'chưa hỏi' : f.speakersConfirmed ? 'nghe rõ' : 'không nghe'}`,
    `Lúc / At: ${formatDateTime(c.finishedAt)}`,
  ];
}

function Figures(props: { check: CheckResult | undefined }) {
  const c = props.check;
  if (!c) return <i>Chưa kiểm tra / Not checked</i>;
  return (
    <>
      {figureLines(c).map((l) => (
        <div>{l}</div>
      ))}
      {c.reasons.length > 0 && (
        <ul>
          {c.reasons.map((x) => (
            <li>
              {reasonText(x).vi}
              <div class="en">{reasonText(x).en}</div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ChecklistCell(props: { row: SiteRow; expected: number | undefined }) {
  const cl = props.row.checklist;
  if (!cl) return <i>Chưa xác nhận / Not confirmed</i>;
  return (
    <>
      <ul class="cl">
        {checklistItems.map((k) => (
          <li>
            {cl.items[k] ? '✔' : '✘'} {checklistLabels[k].vi}
          </li>
        ))}
      </ul>
      {cl.seats !== undefined && (
        <div>
          Ghế / Seats: {cl.seats}
          {props.expected !== undefined ? ` / ${props.expected}` : ''}
        </div>
      )}
      {cl.note && <div>{cl.note}</div>}
    </>
  );
}

function SiteRowView(props: { row: SiteRow; index: number; meeting: Meeting; site?: Site }) {
  const { row: r, site } = props;
  const tech = site?.technician;
  const expected = props.meeting.sites.find((s) => s.siteId === r.siteId)?.expectedCount;
  const contact = tech
    ? [tech.name, tech.phone, tech.email].filter((x): x is string => Boolean(x))
    : undefined;
  return (
    <tr class={`s-${r.state}`}>
      <td>{props.index + 1}</td>
      <td>
        <b>{r.siteName}</b>
        {expected !== undefined && <div>Dự kiến {expected} người</div>}
      </td>
      <td>
        {readinessLabels[r.state].vi}
        <div class="en">{readinessLabels[r.state].en}</div>
        {r.note && !r.lastCheck && <div>{r.note.vi}</div>}
      </td>
      <td>
        <Figures check={r.lastCheck} />
      </td>
      <td>
        <ChecklistCell row={r} expected={expected} />
      </td>
      <td>{contact ? <BrJoined items={contact} /> : '–'}</td>
    </tr>
  );
}

/**
 * The printable readiness report for the chair (A4, Vietnamese): every site with its state, the
 * figures of its last check, its checklist and its technician's contact. Rendered by Preact:
 * every name, note and contact is a text node, escaped by the renderer.
 */
export function renderReadinessReport(
  meeting: Meeting,
  readiness: MeetingReadiness,
  sites: Map<string, Site>,
  now: Date = new Date(),
): string {
  const counted = readinessStates.filter((s) => readiness.counts[s] > 0);
  return renderDocument(
    <html lang="vi">
      <DocumentHead title={`Báo cáo sẵn sàng – ${meeting.title}`} css={css} />
      <body>
        <h1>BÁO CÁO SẴN SÀNG CÁC ĐIỂM CẦU</h1>
        <div class="sub">
          <b>{meeting.title}</b>
          <br />
          Khai mạc / Opening: {formatDateTime(meeting.opensAt)} · Kiểm tra kỹ thuật / Check:{' '}
          {formatDateTime(meeting.checkAt)}
          <br />
          {counted.map((s, i) => (
            <>
              {i > 0 && ' · '}
              {readinessLabels[s].vi}: <b>{readiness.counts[s]}</b>
            </>
          ))}
          <br />
          <span class="en">Lập lúc / Generated: {formatDateTime(now.toISOString())}</span>
        </div>
        <table>
          <thead>
            <tr>
              <th>TT</th>
              <th>Điểm cầu</th>
              <th>Trạng thái</th>
              <th>Kết quả đo / Figures</th>
              <th>Danh mục chuẩn bị / Checklist</th>
              <th>Cán bộ kỹ thuật / Technician</th>
            </tr>
          </thead>
          <tbody>
            {readiness.sites.map((r, i) => (
              <SiteRowView row={r} index={i} meeting={meeting} site={sites.get(r.siteId)} />
            ))}
          </tbody>
        </table>
      </body>
    </html>,
  );
}
