import type { Meeting, Participation } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import {
  formatDate,
  formatLetterDateVi,
  formatLongDateVi,
  formatTime,
  vietnamParts,
} from '../../protocol/time.js';

/** Every piece of user text goes through this; the letter is HTML built by hand. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped, with line breaks kept. */
const escLines = (value: string) => escapeHtml(value).replace(/\r?\n/g, '<br>');

/** "07 giờ 30" */
function viClock(iso: string): string {
  const p = vietnamParts(iso);
  return `${String(p.hour).padStart(2, '0')} giờ ${String(p.minute).padStart(2, '0')}`;
}

export interface ConvocationOptions {
  /** Directory records of every site the meeting names (missing ones print their id). */
  sites: ReadonlyMap<string, Site>;
  /** Base URL for attachment downloads. */
  publicUrl: string;
}

function siteName(sites: ReadonlyMap<string, Site>, id: string): string {
  return sites.get(id)?.name ?? id;
}

function compositionList(p: Participation): string {
  if (p.composition.length === 0) return '<p class="muted">(Chưa nêu thành phần)</p>';
  const items = p.composition
    .map(
      (c) => `<li>${escapeHtml(c.role)}${c.count !== undefined ? ` (${c.count} người)` : ''};</li>`,
    )
    .join('');
  return `<ul class="dash">${items}</ul>`;
}

/** Sites with the same composition are listed together, as the letters do ("Tại 11 điểm cầu…"). */
function groupByComposition(sites: readonly Participation[]): Participation[][] {
  const groups = new Map<string, Participation[]>();
  for (const s of sites) {
    const key = JSON.stringify(s.composition);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

function participantsSection(meeting: Meeting, sites: ReadonlyMap<string, Site>): string {
  const main = sites.get(meeting.mainSite.siteId);
  const mainWhere = [main?.hostUnit, main?.address].filter(Boolean).join(', ');
  const parts: string[] = [];
  parts.push(
    `<p><b>1. Tại điểm cầu chính: ${escapeHtml(siteName(sites, meeting.mainSite.siteId))}</b>${
      mainWhere ? ` (${escapeHtml(mainWhere)})` : ''
    }</p>`,
    compositionList(meeting.mainSite),
  );
  const groups = groupByComposition(meeting.sites);
  let n = 2;
  for (const group of groups) {
    const names = group.map((s) => escapeHtml(siteName(sites, s.siteId))).join('; ');
    const heading =
      groups.length === 1
        ? `Tại ${group.length} điểm cầu tham dự`
        : `Tại ${group.length === 1 ? 'điểm cầu' : `${group.length} điểm cầu`}`;
    parts.push(`<p><b>${n}. ${heading}:</b> ${names}.</p>`, compositionList(group[0]!));
    n++;
  }
  const hosted = meeting.sites
    .map((p) => ({ p, site: sites.get(p.siteId) }))
    .filter(({ site }) => site && site.attendingUnits.length > 0);
  for (const { site } of hosted) {
    parts.push(
      `<p class="note">* ${site!.attendingUnits.map(escapeHtml).join('; ')} dự họp tại điểm cầu ${escapeHtml(site!.name)}${site!.hostUnit ? ` (${escapeHtml(site!.hostUnit)})` : ''}.</p>`,
    );
  }
  const rows = [meeting.mainSite, ...meeting.sites]
    .map((p, i) => {
      const site = sites.get(p.siteId);
      const where = [site?.hostUnit, site?.address].filter(Boolean).join(', ');
      return `<tr><td class="c">${i + 1}</td><td>${escapeHtml(siteName(sites, p.siteId))}${
        i === 0 ? ' <i>(điểm cầu chính)</i>' : ''
      }</td><td>${escapeHtml(where)}</td><td class="c">${p.expectedCount ?? ''}</td><td>${p.note ? escLines(p.note) : ''}</td></tr>`;
    })
    .join('');
  parts.push(
    `<table class="grid"><thead><tr><th>TT</th><th>Điểm cầu</th><th>Nơi đặt điểm cầu</th><th>Số người dự kiến</th><th>Ghi chú</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
  return parts.join('\n');
}

function agendaSection(meeting: Meeting, sites: ReadonlyMap<string, Site>): string {
  if (meeting.agenda.length === 0) return '<p>Theo chương trình của Ban tổ chức.</p>';
  const multiDay = formatDate(meeting.opensAt) !== formatDate(meeting.closesAt);
  const rows = meeting.agenda
    .map((a) => {
      const who = [a.presenter, a.siteId ? siteName(sites, a.siteId) : undefined]
        .filter(Boolean)
        .map((s) => escapeHtml(s!))
        .join(' – ');
      const title = a.isBreak ? `<i>${escapeHtml(a.title)}</i>` : escapeHtml(a.title);
      const when = multiDay
        ? `${formatTime(a.startsAt)} ${formatDate(a.startsAt)}`
        : formatTime(a.startsAt);
      return `<tr><td class="c nowrap">${when}</td><td>${title}</td><td>${who}</td></tr>`;
    })
    .join('');
  return `<table class="grid"><thead><tr><th>Thời gian</th><th>Nội dung</th><th>Người trình bày / điểm cầu</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The convening letter (giấy triệu tập) as printable A4 HTML, laid out like the department
 * letters in shared/seeds: header block, Kính gửi, composition per site, time, agenda,
 * technical check, what each site prepares, documents, banner text, distribution, signer.
 */
export function renderConvocation(meeting: Meeting, options: ConvocationOptions): string {
  const { sites } = options;
  const letter = meeting.letter;
  const organizer = meeting.organizer;
  const place = letter?.place ? escapeHtml(letter.place) : '…………';
  const letterDate = letter?.date ? formatLetterDateVi(letter.date) : 'ngày …… tháng …… năm ……';
  const count = meeting.sites.length;

  const addressees = letter?.addressees.length
    ? letter.addressees.map((a) => `<li>${escapeHtml(a)};</li>`).join('')
    : [meeting.mainSite, ...meeting.sites]
        .map((p) => `<li>${escapeHtml(siteName(sites, p.siteId))};</li>`)
        .join('');

  const preamble = letter?.preamble
    ? letter.preamble
        .split(/\r?\n\s*\r?\n|\r?\n/)
        .filter((p) => p.trim())
        .map((p) => `<p class="indent">${escapeHtml(p.trim())}</p>`)
        .join('\n')
    : '';

  const opens = meeting.opensAt;
  const sameDay = formatDate(opens) === formatDate(meeting.closesAt);
  const timeText = `Khai mạc lúc ${viClock(opens)}, ${formatLongDateVi(opens)}; kết thúc lúc ${viClock(meeting.closesAt)}${sameDay ? '' : `, ${formatLongDateVi(meeting.closesAt)}`}.`;

  const requirements = [
    `Các điểm cầu chuẩn bị đầy đủ cơ sở vật chất, thiết bị kỹ thuật (máy tính, camera, micro, loa, màn hình hoặc máy chiếu) và đường truyền Internet ổn định.`,
    `Chuẩn bị nguồn điện dự phòng (bộ lưu điện UPS hoặc máy phát điện) để hội nghị không bị gián đoạn khi mất điện.`,
    `Cử cán bộ kỹ thuật phụ trách thiết bị họp trực tuyến trực tại điểm cầu trong suốt buổi kiểm tra kỹ thuật và hội nghị; mở thiết bị đúng giờ kiểm tra kết nối.`,
    ...meeting.requirements,
    `Đại biểu dự hội nghị đúng thành phần, đủ số lượng, đảm bảo thời gian.`,
  ]
    .map((r) => `<li>${escLines(r)}</li>`)
    .join('');

  const attachments = meeting.attachments.length
    ? `<h2>VI. Tài liệu</h2><p>Đại biểu in và mang theo tài liệu:</p><ul class="dash">${meeting.attachments
        .map((a) => {
          const href =
            a.kind === 'link'
              ? a.url!
              : `${options.publicUrl}/api/meetings/${encodeURIComponent(meeting.id)}/attachments/${encodeURIComponent(a.id)}`;
          return `<li>${escapeHtml(a.title)}: <a href="${escapeHtml(href)}">${escapeHtml(href)}</a></li>`;
        })
        .join('')}</ul>`
    : '';

  const banner = meeting.banner
    ? `<h2>${meeting.attachments.length ? 'VII' : 'VI'}. Tít trên phông chính</h2><div class="banner">${escLines(meeting.banner)}</div>`
    : '';

  const distribution = letter?.distribution.length
    ? letter.distribution
        .map((d, i, all) => `<li>${escapeHtml(d)}${i === all.length - 1 ? '.' : ';'}</li>`)
        .join('')
    : '<li>Như trên;</li><li>Lưu: VT.</li>';

  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Giấy triệu tập – ${escapeHtml(meeting.title)}</title>
<style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
* { box-sizing: border-box; }
body { font-family: "Times New Roman", Times, "Liberation Serif", serif; font-size: 14pt; line-height: 1.35; color: #000; margin: 0; }
.page { max-width: 210mm; margin: 0 auto; }
@media screen { body { background: #e5e5e5; } .page { background: #fff; padding: 20mm 15mm 20mm 30mm; margin: 8mm auto; box-shadow: 0 1px 6px rgba(0,0,0,.25); min-height: 297mm; } }
table.head, table.foot { width: 100%; border-collapse: collapse; }
table.head td, table.foot td { vertical-align: top; text-align: center; padding: 0; }
table.head td.left { width: 42%; font-size: 13pt; }
table.head td.right { width: 58%; font-size: 13pt; }
.rule { width: 35%; margin: 2pt auto 6pt; border: 0; border-top: 1px solid #000; }
.subject { font-size: 12pt; margin-top: 4pt; }
.dateline { font-style: italic; margin-top: 6pt; }
.to { margin: 14pt 0 8pt 15%; }
.to ul { margin: 0; padding-left: 1.2em; list-style: none; }
.to li::before, ul.dash li::before { content: "- "; }
ul.dash { list-style: none; padding-left: 1.2em; margin: 2pt 0 6pt; }
p { margin: 4pt 0; text-align: justify; }
p.indent { text-indent: 1.27cm; }
h1 { font-size: 14pt; text-align: center; margin: 10pt 0 4pt; }
h2 { font-size: 14pt; margin: 10pt 0 4pt; }
ol.req { margin: 2pt 0; padding-left: 1.6em; }
table.grid { width: 100%; border-collapse: collapse; font-size: 12pt; margin: 4pt 0 8pt; page-break-inside: auto; }
table.grid th, table.grid td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; text-align: left; }
table.grid th { text-align: center; }
td.c { text-align: center; } .nowrap { white-space: nowrap; }
.note { font-style: italic; font-size: 13pt; }
.muted { color: #444; font-style: italic; }
.banner { border: 1px solid #000; padding: 8pt; text-align: center; font-weight: bold; text-transform: uppercase; }
table.foot td.recv { text-align: left; width: 45%; font-size: 12pt; }
table.foot td.recv ul { list-style: none; padding-left: 0; margin: 0; }
table.foot td.recv li::before { content: "- "; }
table.foot td.sign { width: 55%; font-weight: bold; }
.sign-space { height: 70pt; }
</style>
</head>
<body>
<article class="page">
<table class="head"><tr>
<td class="left">${letter?.authority ? `<div>${escapeHtml(letter.authority.toLocaleUpperCase('vi'))}</div>` : ''}<div><b>${escapeHtml(organizer.toLocaleUpperCase('vi'))}</b></div><hr class="rule">
<div>Số: ${letter?.number ? escapeHtml(letter.number) : '……/……'}</div>
<div class="subject">${letter?.subject ? escLines(letter.subject) : `V/v triệu tập đại biểu dự ${escapeHtml(meeting.title)}`}</div></td>
<td class="right"><div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></div><div><b>Độc lập – Tự do – Hạnh phúc</b></div><hr class="rule">
<div class="dateline">${place}, ${letterDate}</div></td>
</tr></table>

<div class="to"><b>Kính gửi:</b><ul>${addressees}</ul></div>

${preamble}
<p class="indent">${escapeHtml(organizer)} triệu tập đại biểu dự <b>${escapeHtml(meeting.title)}</b>${meeting.chair ? `, do ${escapeHtml(meeting.chair)} chủ trì` : ''}, tổ chức trực tuyến giữa điểm cầu chính và ${count} điểm cầu, cụ thể như sau:</p>

<h2>I. Thành phần, địa điểm</h2>
${participantsSection(meeting, sites)}

<h2>II. Thời gian</h2>
<p>${timeText}</p>

<h2>III. Chương trình hội nghị</h2>
${agendaSection(meeting, sites)}

<h2>IV. Kiểm tra kỹ thuật</h2>
<p class="indent">Từ <b>${viClock(meeting.checkAt)}, ${formatLongDateVi(meeting.checkAt)}</b>, điểm cầu chính thực hiện giao ban kỹ thuật (kiểm tra kết nối) với ${count} điểm cầu. Yêu cầu cán bộ kỹ thuật các điểm cầu có mặt, mở thiết bị và chuẩn bị đầy đủ các phương tiện kỹ thuật theo yêu cầu.</p>

<h2>V. Yêu cầu chuẩn bị</h2>
<ol class="req">${requirements}</ol>
${attachments}
${banner}

<p class="indent">${escapeHtml(organizer)} yêu cầu các đơn vị dự hội nghị đúng thành phần, đảm bảo thời gian để hội nghị đạt kết quả tốt./.</p>

<table class="foot"><tr>
<td class="recv"><b><i>Nơi nhận:</i></b><ul>${distribution}</ul></td>
<td class="sign">${letter?.signerTitle ? escLines(letter.signerTitle.toLocaleUpperCase('vi')) : ''}<div class="sign-space"></div>${letter?.signerName ? escapeHtml(letter.signerName) : ''}</td>
</tr></table>
</article>
</body>
</html>
`;
}
