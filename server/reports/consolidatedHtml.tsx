import { DocumentHead, LetterHead, renderDocument } from '../documents/renderDocument.js';
import { type ConsolidationInput, consolidate } from './consolidation.js';

const css = `
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
`;

function DashList(props: { items: string[] }) {
  if (props.items.length === 0) return <p>(Không có)</p>;
  return (
    <ul class="dash">
      {props.items.map((item) => (
        <li>{item}</li>
      ))}
    </ul>
  );
}

/**
 * The consolidated report as printable A4 HTML in the letters' style (Times, 14 pt), rendered
 * by Preact: the sites' answers are text nodes, escaped by the renderer, never markup.
 */
export function renderConsolidatedHtml(input: ConsolidationInput): string {
  const c = consolidate(input);
  return renderDocument(
    <html lang="vi">
      <DocumentHead title={`Báo cáo tổng hợp – ${c.title}`} css={css} />
      <body>
        <article class="page">
          <LetterHead organizer={c.organizer} />
          <h1>Báo cáo tổng hợp</h1>
          <p class="center">{c.title}</p>
          <p class="indent">{c.intro}</p>
          {c.sections.map((s) => (
            <>
              {s.level === 1 ? <h2>{s.heading}</h2> : <h3>{s.heading}</h3>}
              {s.entries.map((e) => (
                <>
                  <p class="site">
                    <b>
                      <i>{e.siteName}:</i>
                    </b>
                  </p>
                  {e.paragraphs.map((p) => (
                    <p class="indent">{p}</p>
                  ))}
                </>
              ))}
            </>
          ))}
          <h2>Tình hình nhận báo cáo</h2>
          <DashList items={c.received} />
          <p>
            <b>Chưa gửi báo cáo:</b>
          </p>
          <DashList items={c.missing} />
        </article>
      </body>
    </html>,
  );
}
