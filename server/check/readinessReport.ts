import { candidateLabels, reasonText } from '../../protocol/check/index.js';
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
import { escapeHtml as esc } from '../documents/convocation.js';

const num = (n: number | undefined, unit: string) => (n === undefined ? '–' : `${n} ${unit}`);

/**
 * The printable readiness report for the chair (A4, Vietnamese): every site with its state, the
 * figures of its last check, its checklist and its technician's contact. Everything is escaped.
 */
export function renderReadinessReport(
  meeting: Meeting,
  readiness: MeetingReadiness,
  sites: Map<string, Site>,
  now: Date = new Date(),
): string {
  const counts = readinessStates
    .filter((s) => readiness.counts[s] > 0)
    .map((s) => `${esc(readinessLabels[s].vi)}: <b>${readiness.counts[s]}</b>`)
    .join(' · ');
  const rows = readiness.sites
    .map((r, i) => {
      const site = sites.get(r.siteId);
      const tech = site?.technician;
      const c = r.lastCheck;
      const f = c?.figures;
      const expected = meeting.sites.find((s) => s.siteId === r.siteId)?.expectedCount;
      const figures = f
        ? [
            `Gửi / Up: ${num(f.uplink.kbps, 'kbps')}, mất gói ${f.uplink.lossPercent}%, jitter ${f.uplink.jitterMs} ms`,
            `Nhận / Down: ${num(f.downlink.kbps, 'kbps')}, mất gói ${f.downlink.lossPercent}%, jitter ${f.downlink.jitterMs} ms, RTT ${num(f.downlink.rttMs, 'ms')}`,
            `Kết nối / Path: ${f.path ? `${mediaPathLabel(f.path, f.relayPort).vi}, ` : ''}${candidateLabels[f.candidateType].vi} (${f.protocol.toUpperCase()}), báo hiệu ${f.signalingMs} ms, ICE+DTLS ${num(f.iceDtlsMs, 'ms')}`,
            `Micro ${f.micLevel >= 0.005 ? 'có tiếng' : 'im lặng'}, camera ${f.cameraLuma >= 16 ? 'có hình' : 'đen'}, loa ${f.speakersConfirmed === undefined ? 'chưa hỏi' : f.speakersConfirmed ? 'nghe rõ' : 'không nghe'}`,
            `Lúc / At: ${formatDateTime(c.finishedAt)}`,
          ]
            .map((l) => `<div>${esc(l)}</div>`)
            .join('')
        : '<i>Chưa kiểm tra / Not checked</i>';
      const reasons = c?.reasons.length
        ? `<ul>${c.reasons.map((x) => `<li>${esc(reasonText(x).vi)}<div class="en">${esc(reasonText(x).en)}</div></li>`).join('')}</ul>`
        : '';
      const checklist = r.checklist
        ? `<ul class="cl">${checklistItems
            .map(
              (k) => `<li>${r.checklist!.items[k] ? '✔' : '✘'} ${esc(checklistLabels[k].vi)}</li>`,
            )
            .join('')}</ul>${
            r.checklist.seats !== undefined
              ? `<div>Ghế / Seats: ${r.checklist.seats}${expected !== undefined ? ` / ${expected}` : ''}</div>`
              : ''
          }${r.checklist.note ? `<div>${esc(r.checklist.note)}</div>` : ''}`
        : '<i>Chưa xác nhận / Not confirmed</i>';
      const contact = tech
        ? [tech.name, tech.phone, tech.email]
            .filter((x): x is string => Boolean(x))
            .map(esc)
            .join('<br>')
        : '–';
      return `<tr class="s-${esc(r.state)}"><td>${i + 1}</td><td><b>${esc(r.siteName)}</b>${
        expected !== undefined ? `<div>Dự kiến ${expected} người</div>` : ''
      }</td><td>${esc(readinessLabels[r.state].vi)}<div class="en">${esc(readinessLabels[r.state].en)}</div>${
        r.note && !c ? `<div>${esc(r.note.vi)}</div>` : ''
      }</td><td>${figures}${reasons}</td><td>${checklist}</td><td>${contact}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo sẵn sàng – ${esc(meeting.title)}</title>
<style>
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
</style></head><body>
<h1>BÁO CÁO SẴN SÀNG CÁC ĐIỂM CẦU</h1>
<div class="sub"><b>${esc(meeting.title)}</b><br>
Khai mạc / Opening: ${esc(formatDateTime(meeting.opensAt))} · Kiểm tra kỹ thuật / Check: ${esc(formatDateTime(meeting.checkAt))}<br>
${counts}<br><span class="en">Lập lúc / Generated: ${esc(formatDateTime(now.toISOString()))}</span></div>
<table><thead><tr><th>TT</th><th>Điểm cầu</th><th>Trạng thái</th><th>Kết quả đo / Figures</th><th>Danh mục chuẩn bị / Checklist</th><th>Cán bộ kỹ thuật / Technician</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
