import { escapeHtml } from '../documents/convocation.js';
import { type ConsolidationInput, consolidate } from './consolidation.js';

/** The consolidated report as printable A4 HTML in the letters' style (Times, 14 pt). */
export function renderConsolidatedHtml(input: ConsolidationInput): string {
  const c = consolidate(input);
  const sections = c.sections
    .map((s) => {
      const tag = s.level === 1 ? 'h2' : 'h3';
      const entries = s.entries
        .map(
          (e) =>
            `<p class="site"><b><i>${escapeHtml(e.siteName)}:</i></b></p>${e.paragraphs
              .map((p) => `<p class="indent">${escapeHtml(p)}</p>`)
              .join('')}`,
        )
        .join('\n');
      return `<${tag}>${escapeHtml(s.heading)}</${tag}>\n${entries}`;
    })
    .join('\n');
  const list = (items: string[]) =>
    items.length
      ? `<ul class="dash">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
      : '<p>(Không có)</p>';
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>Báo cáo tổng hợp – ${escapeHtml(c.title)}</title>
<style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { font-family: "Times New Roman", Times, "Liberation Serif", serif; font-size: 14pt; line-height: 1.35; color: #000; margin: 0; }
.page { max-width: 210mm; margin: 0 auto; }
@media screen { body { background: #e5e5e5; } .page { background: #fff; padding: 20mm 15mm 20mm 30mm; margin: 8mm auto; min-height: 297mm; } }
table.head { width: 100%; border-collapse: collapse; }
table.head td { vertical-align: top; text-align: center; font-size: 13pt; }
.rule { width: 35%; margin: 2pt auto 6pt; border: 0; border-top: 1px solid #000; }
h1 { font-size: 14pt; text-align: center; margin: 14pt 0 4pt; text-transform: uppercase; }
h2 { font-size: 14pt; margin: 10pt 0 4pt; } h3 { font-size: 14pt; font-style: italic; margin: 8pt 0 4pt; }
p { margin: 4pt 0; text-align: justify; } p.indent { text-indent: 1.27cm; } p.center { text-align: center; font-style: italic; }
ul.dash { list-style: none; padding-left: 1.2em; } ul.dash li::before { content: "- "; }
</style>
</head>
<body>
<article class="page">
<table class="head"><tr>
<td><b>${escapeHtml(c.organizer.toLocaleUpperCase('vi'))}</b><hr class="rule"></td>
<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập – Tự do – Hạnh phúc</b><hr class="rule"></td>
</tr></table>
<h1>Báo cáo tổng hợp</h1>
<p class="center">${escapeHtml(c.title)}</p>
<p class="indent">${escapeHtml(c.intro)}</p>
${sections}
<h2>Tình hình nhận báo cáo</h2>
${list(c.received)}
<p><b>Chưa gửi báo cáo:</b></p>
${list(c.missing)}
</article>
</body>
</html>
`;
}
