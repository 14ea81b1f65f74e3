import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  renderAttendanceReport,
  renderMeetingRecord,
} from '../../server/attendance/attendanceDocuments.js';
import { renderReadinessReport } from '../../server/check/readinessReport.js';
import { renderConvocation } from '../../server/documents/convocation.js';
import {
  hostile,
  hostileMeeting,
  hostilePayloads,
  hostileReadiness,
  hostileRecord,
  hostileSiteMap,
  hostileSummary,
} from '../helpers/documentFixtures.js';

/*
 * Every field a person types into a meeting, a site, an attendance confirmation, a minute or a
 * checklist reaches the printed documents as text: no element, attribute or style rule of its
 * own, and every character intact (diacritics, quotes, braces). The documents are read as a
 * browser tokenizes them: tags with double-quoted attributes, text in between.
 */

/** Elements the documents are made of; anything else came from a field. */
const elements = new Set(
  'html head meta title style body article table thead tbody tfoot tr th td div span b i hr br ul ol li p h1 h2 h3 a'.split(
    ' ',
  ),
);
const attributes = new Set(['lang', 'charset', 'name', 'content', 'class', 'href', 'colspan']);

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');

interface Parsed {
  /** The document's text, entities decoded, `<br>` as a line break, the style sheet left out. */
  text: string;
  tags: { name: string; closing: boolean; attrs: Record<string, string> }[];
  /** Raw text between tags: must hold no `<`, or a field's markup got through. */
  strayLt: string[];
  styles: string[];
}

/** A start or end tag; attribute values double-, single- or unquoted, as a browser reads them. */
const value = `(?:="[^"]*"|='[^']*'|=[^\\s"'=<>\`]+)?`;
const tagPattern = new RegExp(
  `<(\\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\\s+[a-zA-Z-]+${value})*)\\s*\\/?>`,
  'y',
);
const attrPattern = new RegExp(`([a-zA-Z-]+)(${value})`, 'g');

function parse(html: string): Parsed {
  const parsed: Parsed = { text: '', tags: [], strayLt: [], styles: [] };
  let i = html.startsWith('<!doctype html>') ? '<!doctype html>'.length : 0;
  let inStyle = false;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const chunk = html.slice(i, lt === -1 ? html.length : lt);
    if (inStyle) parsed.styles.push(chunk);
    else parsed.text += decode(chunk);
    if (lt === -1) break;
    tagPattern.lastIndex = lt;
    const m = tagPattern.exec(html);
    if (!m || (inStyle && !(m[1] === '/' && m[2] === 'style'))) {
      parsed.strayLt.push(html.slice(lt, lt + 60));
      if (!inStyle) parsed.text += '<';
      i = lt + 1;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(attrPattern)) {
      attrs[a[1]!] = decode((a[2] ?? '').replace(/^=["']?|["']$/g, ''));
    }
    const name = m[2]!.toLowerCase();
    parsed.tags.push({ name, closing: m[1] === '/', attrs });
    if (name === 'style') inStyle = m[1] !== '/';
    if (name === 'br') parsed.text += '\n';
    i = lt + m[0].length;
  }
  return parsed;
}

/** What must hold of any printed document. */
function assertInert(t: Test, html: string): Parsed {
  const doc = parse(html);
  t.same(doc.strayLt, [], 'no `<` outside a tag: no field became markup');
  t.same(
    doc.tags.filter((tag) => !elements.has(tag.name)).map((tag) => tag.name),
    [],
    'only the document’s own elements (no script, img, svg)',
  );
  t.same(
    doc.tags.flatMap((tag) => Object.keys(tag.attrs).filter((a) => !attributes.has(a))),
    [],
    'only the document’s own attributes (no onerror, onload)',
  );
  t.equal(doc.tags.filter((tag) => tag.name === 'style' && !tag.closing).length, 1, 'one style');
  t.equal(doc.styles.length, 1, 'one style sheet');
  t.notOk(/display:\s*none/.test(doc.styles[0] ?? ''), 'the style sheet is the constant one');
  return doc;
}

/** Every named field comes out whole, as text, with its line breaks kept. */
function assertIntact(t: Test, doc: Parsed, fields: string[]) {
  for (const field of fields) {
    t.ok(doc.text.includes(field), `intact: ${field.slice(0, field.indexOf(':'))}`);
  }
}

const lines = (...names: string[]) => names.map(hostile).join('\n');

t.test('convocation: every typed field is text, whole', async (t) => {
  const html = renderConvocation(hostileMeeting, {
    sites: hostileSiteMap,
    publicUrl: 'https://diemcau.example.vn',
  });
  const doc = assertInert(t, html);
  assertIntact(t, doc, [
    hostile('title'),
    hostile('chair'),
    hostile('organizer'),
    hostile('organizer').toLocaleUpperCase('vi'),
    hostile('authority').toLocaleUpperCase('vi'),
    hostile('number'),
    hostile('subject'),
    hostile('place'),
    hostile('addressee'),
    hostile('preamble 1'),
    hostile('preamble 2'),
    hostile('main site name'),
    hostile('site 1 name'),
    hostile('site 2 name'),
    hostile('main site host unit'),
    hostile('main site address'),
    hostile('site 1 attending unit'),
    hostile('main role'),
    hostile('site role'),
    lines('main note line 1', 'main note line 2'),
    hostile('site 2 note'),
    hostile('agenda 1'),
    hostile('presenter'),
    hostile('break'),
    hostile('agenda 3'),
    lines('requirement line 1', 'requirement line 2'),
    hostile('attachment link'),
    hostile('attachment file'),
    lines('banner line 1', 'banner line 2'),
    hostile('distribution 1'),
    hostile('distribution 2'),
    lines('signer title 1', 'signer title 2').toLocaleUpperCase('vi'),
    hostile('signer name'),
  ]);
  t.notOk(doc.text.includes('technician'), 'no technician in the letter');
  const title = doc.text.slice(0, doc.text.indexOf(hostilePayloads.at(-1)!));
  t.match(title, /^\s*Giấy triệu tập – title: <script>/, 'the <title> is text too');
  const links = doc.tags
    .filter((tag) => tag.name === 'a' && !tag.closing)
    .map((tag) => tag.attrs.href);
  t.same(
    links,
    [
      'https://example.vn/"><img src=x onerror=alert(5)>',
      'https://diemcau.example.vn/api/meetings/m1/attachments/a2',
    ],
    'a link’s address stays inside its href',
  );
});

t.test('attendance report and record: site names, roles, chair, conclusions', async (t) => {
  const report = assertInert(t, renderAttendanceReport(hostileMeeting, hostileSummary));
  const own = [
    hostile('title'),
    hostile('organizer').toLocaleUpperCase('vi'),
    hostile('attendance site 1'),
    hostile('attendance site 2'),
    `${hostile('present role 1')}: 2\n${hostile('present role 2')}: 5`,
  ];
  assertIntact(t, report, own);
  t.match(report.text, '07:15:00–08:01:00; 08:03:00–…', 'connection times, 24-hour clock');
  t.match(report.text, '11/03/2013', 'dd/mm/yyyy');

  const record = assertInert(
    t,
    renderMeetingRecord(hostileMeeting, hostileSummary, hostileRecord, hostileSiteMap),
  );
  assertIntact(t, record, [
    ...own,
    hostile('chair'),
    hostile('agenda 1'),
    hostile('break'),
    hostile('presenter'),
    hostile('site 1 name'),
    lines('conclusion line 1', 'conclusion line 2'),
    hostile('floor site'),
    hostile('floor site 2'),
  ]);
});

t.test('readiness report: site names, technicians, checklist notes, reasons', async (t) => {
  const now = new Date('2013-03-08T03:00:00Z');
  const doc = assertInert(
    t,
    renderReadinessReport(hostileMeeting, hostileReadiness, hostileSiteMap, now),
  );
  assertIntact(t, doc, [
    hostile('title'),
    hostile('readiness site 1'),
    hostile('readiness site 2'),
    `${hostile('site 1 technician')}\n0912 345 678\nkythuat@example.vn`,
    hostile('checklist note'),
    hostile('reason vi'),
    hostile('reason en'),
    hostile('state note vi'),
  ]);
  t.match(doc.text, 'Gửi / Up: 1850 kbps', 'figures');
  t.match(doc.text, 'Lập lúc / Generated: 10:00 08/03/2013', 'Asia/Ho_Chi_Minh, dd/mm/yyyy');
  const rows = doc.tags.filter((tag) => tag.name === 'tr' && tag.attrs.class);
  t.same(
    rows.map((tag) => tag.attrs.class),
    ['s-degraded', 's-no-show'],
    'state classes',
  );
});

t.test('the reader itself: a field that skipped escaping is caught', async (t) => {
  // The weakness of hand-built HTML was one forgotten escape call; show the checks above see one.
  const leaked = renderConvocation(hostileMeeting, {
    sites: hostileSiteMap,
    publicUrl: 'https://diemcau.example.vn',
  }).replace('</article>', `${hostilePayloads.join(' ')}</article>`);
  const doc = parse(leaked);
  t.ok(doc.strayLt.length > 0 || doc.tags.some((tag) => !elements.has(tag.name)));
  t.ok(
    doc.tags.some((tag) => tag.name === 'script'),
    'the script tag is seen',
  );
  t.ok(
    doc.tags.some((tag) => 'onerror' in tag.attrs),
    'the handler attribute is seen',
  );
  t.equal(doc.tags.filter((tag) => tag.name === 'style' && !tag.closing).length, 2);
});

t.test('no server source builds HTML in a template string', async (t) => {
  // Hand-built markup is where a forgotten escape hides: a `<td>${name}</td>` type-checks and
  // renders. Documents are Preact elements; the doctype line of renderDocument is the one string.
  const root = join(import.meta.dirname, '../../server');
  const tag = new RegExp(
    `</?(?:${[...elements, 'script', 'img', 'svg', 'section'].join('|')})[\\s/>]`,
    'i',
  );
  const found: string[] = [];
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!/\.tsx?$/.test(file)) continue;
    const source = readFileSync(join(root, file), 'utf8');
    for (const literal of source.matchAll(/`(?:\\.|[^`\\])*`/gs)) {
      if (literal[0].includes('${') && tag.test(literal[0])) {
        found.push(`${file}: ${literal[0].slice(0, 60)}`);
      }
    }
  }
  t.same(found, [], 'markup with interpolated values only in Preact elements');
});
