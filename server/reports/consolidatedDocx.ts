import {
  AlignmentType,
  BorderStyle,
  Document,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { type ConsolidationInput, consolidate } from './consolidation.js';

const FONT = 'Times New Roman';
/** docx sizes are half-points: 14 pt body as in the department's letters. */
const BODY = 28;
const none = { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' };
const noBorders = {
  top: none,
  bottom: none,
  left: none,
  right: none,
  insideHorizontal: none,
  insideVertical: none,
};

const run = (text: string, o: { bold?: boolean; italics?: boolean; size?: number } = {}) =>
  new TextRun({
    text,
    font: FONT,
    size: o.size ?? BODY,
    bold: o.bold ?? false,
    italics: o.italics ?? false,
  });

const centered = (text: string, o: { bold?: boolean; italics?: boolean; size?: number } = {}) =>
  new Paragraph({ alignment: AlignmentType.CENTER, children: [run(text, o)] });

/** The consolidated report as a Word document: A4, Times New Roman, the letters' header block. */
export async function renderReportDocx(input: ConsolidationInput): Promise<Buffer> {
  const c = consolidate(input);
  const header = new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    borders: noBorders,
    rows: [
      new TableRow({
        children: [
          new TableCell({
            width: { size: 42, type: WidthType.PERCENTAGE },
            borders: noBorders,
            children: [centered(c.organizer.toLocaleUpperCase('vi'), { bold: true, size: 26 })],
          }),
          new TableCell({
            width: { size: 58, type: WidthType.PERCENTAGE },
            borders: noBorders,
            children: [
              centered('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { bold: true, size: 26 }),
              centered('Độc lập – Tự do – Hạnh phúc', { bold: true, size: 26 }),
            ],
          }),
        ],
      }),
    ],
  });
  const body: Paragraph[] = [
    new Paragraph({
      spacing: { before: 280 },
      alignment: AlignmentType.CENTER,
      children: [run('BÁO CÁO TỔNG HỢP', { bold: true })],
    }),
    centered(c.title, { italics: true }),
    new Paragraph({
      indent: { firstLine: 720 },
      alignment: AlignmentType.JUSTIFIED,
      children: [run(c.intro)],
    }),
  ];
  for (const s of c.sections) {
    body.push(
      new Paragraph({
        spacing: { before: 160, after: 60 },
        children: [run(s.heading, { bold: true, italics: s.level > 1 })],
      }),
    );
    for (const e of s.entries) {
      body.push(
        new Paragraph({ children: [run(`${e.siteName}:`, { bold: true, italics: true })] }),
      );
      for (const p of e.paragraphs)
        body.push(
          new Paragraph({
            indent: { firstLine: 720 },
            alignment: AlignmentType.JUSTIFIED,
            children: [run(p)],
          }),
        );
    }
  }
  body.push(
    new Paragraph({
      spacing: { before: 200 },
      children: [run('Tình hình nhận báo cáo', { bold: true })],
    }),
  );
  for (const r of c.received) body.push(new Paragraph({ children: [run(`- ${r}`)] }));
  body.push(new Paragraph({ children: [run('Chưa gửi báo cáo:', { bold: true })] }));
  for (const m of c.missing.length ? c.missing : ['(Không có)'])
    body.push(new Paragraph({ children: [run(`- ${m}`)] }));

  const doc = new Document({
    creator: 'Điểm cầu',
    title: c.title,
    styles: { default: { document: { run: { font: FONT, size: BODY } } } },
    sections: [
      {
        properties: {
          page: {
            // A4 in twentieths of a point; margins 20/15/20/30 mm as the convocation prints.
            size: { width: 11906, height: 16838 },
            margin: { top: 1134, bottom: 1134, right: 850, left: 1701 },
          },
        },
        children: [header, ...body],
      },
    ],
  });
  return Packer.toBuffer(doc);
}
