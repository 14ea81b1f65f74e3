/** The letters' style: Times 14 pt on A4 with the state's margins; the one raw part, a constant. */
export const convocationCss = `
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
`;
