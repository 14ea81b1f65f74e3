import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { PdfPrinter } from '../../server/documents/printPdf.js';
import { buildTestApi, createHoaBinhSites } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * The printing Chromium (issue 27, row 3 and the sandbox): a bounded queue, abandoned prints
 * dropped or killed, and a document that slipped past escaping reaching neither a file nor the
 * network. Real Chromium; run under the heavy lock.
 */

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const page = (text: string) =>
  `<!doctype html><html lang="vi"><meta charset="utf-8"><style>@page{size:A4;margin:20mm}</style><body><h1>${text}</h1></body></html>`;

/** The PDF's text, as poppler reads it. */
function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-pdftext-'));
  try {
    writeFileSync(join(dir, 'a.pdf'), pdf);
    execFileSync('pdftotext', ['-layout', join(dir, 'a.pdf'), join(dir, 'a.txt')]);
    return readFileSync(join(dir, 'a.txt'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Live Chromium processes of the printing user (zombies wait for init to reap them). */
const chromiumsOfNobody = () => {
  try {
    return execFileSync('ps', ['-u', 'nobody', '-o', 'stat=,comm='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /chrom/.test(l) && !/^\s*Z/.test(l)).length;
  } catch {
    return 0;
  }
};

t.test('a document prints, as an unprivileged user, with its text', async (t) => {
  const printer = new PdfPrinter(chromium);
  const pdf = await printer.print(page('Báo cáo tổng hợp – Sở GD&amp;ĐT Hòa Bình'));
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  t.match(pdfText(pdf), /Báo cáo tổng hợp – Sở GD&ĐT Hòa Bình/);
});

t.test('row 3: the queue is bounded and abandoned prints cost nothing', async (t) => {
  const printer = new PdfPrinter(chromium, { maxWaiting: 2 });
  const started = performance.now();
  const alone = await printer.print(page('Một mình'));
  const aloneMs = performance.now() - started;
  t.ok(alone.length > 0, `one print takes ${Math.round(aloneMs)} ms`);

  const controllers = Array.from({ length: 3 }, () => new AbortController());
  const jobs = controllers.map((c, i) =>
    printer.print(page(`Bị bỏ ${i}`), c.signal).then(
      () => 'printed',
      (err: { code?: string }) => err.code ?? 'error',
    ),
  );
  const overflow = await printer
    .print(page('Thừa'))
    .then(() => 'printed')
    .catch((err: { code?: string; details?: { retryAfterSeconds?: number } }) => err.code);
  t.equal(overflow, 'unavailable', 'a fourth print (one running, two waiting) is refused');
  await new Promise((r) => setTimeout(r, 300));
  for (const c of controllers) c.abort();
  t.same(await Promise.all(jobs), ['unavailable', 'unavailable', 'unavailable'], 'all abandoned');
  t.equal(printer.pending, 0, 'nothing left in the queue');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(chromiumsOfNobody(), 0, 'the running Chromium was killed, children and all');

  const next = performance.now();
  await printer.print(page('Chủ trì'));
  const nextMs = performance.now() - next;
  t.ok(
    nextMs < aloneMs * 2 + 1000,
    `the chair's print after three abandoned ones: ${Math.round(nextMs)} ms (alone ${Math.round(aloneMs)} ms)`,
  );
});

t.test('the sandbox, not the escaping, stops an injected document', async (t) => {
  const hits: string[] = [];
  const listener = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.end('LISTENER-WAS-REACHED');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.teardown(() => listener.close());
  const { port } = listener.address() as AddressInfo;
  const hostname = readFileSync('/etc/hostname', 'utf8').trim();
  t.ok(hostname.length > 0, `this machine's hostname: ${hostname}`);

  // What a document would hold if a field went out unescaped: the printer gets it as is
  // (this test calls the printer directly, the hook that bypasses every template's escaping).
  const injected = [
    '<h1>Tài liệu có mã độc</h1>',
    '<iframe src="file:///etc/hostname" width="600" height="80"></iframe>',
    `<iframe src="http://127.0.0.1:${port}/frame" width="600" height="80"></iframe>`,
    `<img src="http://127.0.0.1:${port}/img">`,
    `<link rel="stylesheet" href="http://localhost:${port}/css">`,
    `<script>document.write('SCRIPT-RAN'); fetch('http://127.0.0.1:${port}/fetch')</script>`,
    '<object data="file:///etc/hostname"></object>',
  ].join('\n');
  const printer = new PdfPrinter(chromium);
  const pdf = await printer.print(
    `<!doctype html><html><meta charset="utf-8"><body>${injected}</body></html>`,
  );
  const text = pdfText(pdf);
  t.match(text, /Tài liệu có mã độc/, 'the document printed');
  t.notOk(text.includes(hostname), 'the PDF does not hold /etc/hostname');
  t.notOk(text.includes('LISTENER-WAS-REACHED'), 'nor the local listener’s answer');
  t.notOk(text.includes('SCRIPT-RAN'), 'no script ran');
  t.same(hits, [], 'the local listener got no request');
  t.comment(`the gate refused: ${printer.lastRefused.join(', ') || 'nothing'}`);
  t.notOk(
    printer.lastRefused.some((r) => r.includes('in-tai-lieu') && !r.includes('favicon')),
    'the document itself was served',
  );
});

t.test('row 3 over HTTP: requests cut off do not delay the chair’s PDF', async (t) => {
  const redis = await startTestRedis(t);
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const d = vietnamParts(Date.now() + 20 * 86_400_000);
  const admin = { cookie: api.adminCookie };
  const post = async (url: string, payload?: unknown) => {
    const res = await api.app.inject({
      method: 'POST',
      url,
      headers: admin,
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.body}`);
    return res.json();
  };
  const meeting = await post(
    '/api/meetings',
    hoaBinhBriefing({
      year: d.year,
      month: d.month,
      day: d.day,
      letterDate: '2011-10-21',
      mainSiteId: main.id,
      districtSiteIds: districts.map((s) => s.id),
    }),
  );
  const request = await post(`/api/meetings/${meeting.id}/report-requests`, {
    title: 'Báo cáo sơ kết học kỳ I',
    siteIds: districts.map((s) => s.id),
    sections: [{ id: 'p1', number: '1', title: 'Kết quả' }],
    deadline: { kind: 'absolute', at: '2030-11-30T17:00:00+07:00' },
  });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/api/meetings/${meeting.id}/report-requests/${request.id}/consolidated.pdf`;
  const timed = async () => {
    const started = performance.now();
    const res = await fetch(url, { headers: admin });
    t.equal(res.status, 200);
    await res.arrayBuffer();
    return performance.now() - started;
  };
  const alone = await timed();
  const cut = await Promise.all(
    Array.from({ length: 6 }, () =>
      fetch(url, { headers: admin, signal: AbortSignal.timeout(1000) }).then(
        (res) => res.status,
        () => 'cut off',
      ),
    ),
  );
  t.comment(`six requests cut off after 1 s: ${cut.join(', ')}`);
  t.ok(
    cut.filter((c) => c === 503).length >= 2,
    'beyond one running and three waiting, refused at once',
  );
  await new Promise((r) => setTimeout(r, 200));
  const chair = await timed();
  t.ok(
    chair < alone * 2 + 1000,
    `the chair's PDF: ${Math.round(chair)} ms (alone ${Math.round(alone)} ms)`,
  );
});
