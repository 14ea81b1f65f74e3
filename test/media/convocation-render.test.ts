import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { Meeting, MeetingInput } from '../../protocol/meetings.js';
import type { Site, SiteInput } from '../../protocol/sites.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { artifactPath, launchChromium } from '../helpers/browser.js';
import { buildTestApi, createHoaBinhSites, type TestApi } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';
import { benTreMain, benTreMeeting, benTreSites } from '../helpers/seed003.js';

const redis = await startTestRedis(t);
const browser = await launchChromium(t);

async function convocation(api: TestApi, input: MeetingInput): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/meetings',
    headers: { cookie: api.adminCookie },
    payload: input,
  });
  const meeting: Meeting = res.json();
  return (
    await api.app.inject({
      method: 'GET',
      url: `/api/meetings/${meeting.id}/convocation`,
      headers: { cookie: api.adminCookie },
    })
  ).body;
}

interface Rendered {
  /** The visible text of the page. */
  text: string;
  /** The text of the A4 PDF Chromium printed (pdftotext), without whitespace (lines wrap). */
  pdfText: string;
  /** document.title, elements a field could have smuggled in, dialogs a handler opened. */
  title: string;
  foreign: number;
  dialogs: number;
}

/** Renders in headless Chromium, keeps a screenshot and an A4 PDF, returns what a reader sees. */
async function render(t: Test, html: string, name: string): Promise<Rendered> {
  const context = await browser.newContext({
    viewport: { width: 900, height: 1200 },
    locale: 'vi-VN',
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  writeFileSync(artifactPath(`${name}.html`), html);
  await page.setContent(html, { waitUntil: 'load' });
  await page.screenshot({ path: artifactPath(`${name}.png`), fullPage: true });
  await page.pdf({ path: artifactPath(`${name}.pdf`), format: 'A4', printBackground: true });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth,
  );
  t.notOk(overflow, 'no horizontal overflow');
  const pdf = artifactPath(`${name}.pdf`);
  execFileSync('pdftotext', [pdf, `${pdf}.txt`]);
  return {
    text: await page.innerText('body'),
    pdfText: readFileSync(`${pdf}.txt`, 'utf8').replace(/\s+/g, ''),
    title: await page.title(),
    foreign: await page.evaluate(
      () => document.querySelectorAll('script, img, svg, iframe, [onerror], [onload]').length,
    ),
    dialogs,
  };
}

t.test('seed 002 convocation renders with correct Vietnamese text', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const html = await convocation(
    api,
    hoaBinhBriefing({
      year: 2011,
      month: 11,
      day: 1,
      letterDate: '2011-10-21',
      mainSiteId: main.id,
      districtSiteIds: districts.map((d) => d.id),
    }),
  );
  const { text } = await render(t, html, 'convocation-seed002');
  for (const s of [
    'UBND TỈNH HÒA BÌNH',
    'SỞ GIÁO DỤC VÀ ĐÀO TẠO HÒA BÌNH',
    'Số: 1039/SGD&ĐT-VP',
    'Hòa Bình, ngày 21 tháng 10 năm 2011',
    'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
    'Độc lập – Tự do – Hạnh phúc',
    'Khai mạc lúc 07 giờ 30, Thứ Ba, ngày 01 tháng 11 năm 2011',
    'Từ 08 giờ 00, Thứ Hai, ngày 31 tháng 10 năm 2011',
    'Kỳ Sơn',
    'nguồn điện dự phòng',
  ]) {
    t.ok(text.includes(s), `visible: ${s}`);
  }
});

t.test('seed 003 convocation renders; hostile text stays text', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const post = async (s: unknown): Promise<Site> =>
    (
      await api.app.inject({
        method: 'POST',
        url: '/api/sites',
        headers: { cookie: api.adminCookie },
        payload: s as Record<string, unknown>,
      })
    ).json();
  const main = await post(benTreMain);
  const sites: Site[] = [];
  for (const s of benTreSites) sites.push(await post(s));
  const input = benTreMeeting(
    main.id,
    sites.map((s) => s.id),
  );
  const html = await convocation(api, {
    ...input,
    requirements: [
      ...(input.requirements ?? []),
      '<img src=x onerror="document.title=\'pwned\'"> <b>đậm</b>',
    ],
  });
  const { text } = await render(t, html, 'convocation-seed003');
  for (const s of [
    'ỦY BAN NHÂN DÂN TỈNH BẾN TRE',
    'Số: 252/SGD&ĐT-VP',
    'Bến Tre, ngày 04 tháng 03 năm 2013',
    'Thứ Hai, ngày 11 tháng 3 năm 2013',
    'Từ 08 giờ 00, Thứ Sáu, ngày 08 tháng 3 năm 2013',
    'Trường THCS Mỹ Hóa',
    'Kết thúc buổi sáng',
    'Lê Ngọc Bửu',
    '<img src=x onerror="document.title=\'pwned\'"> <b>đậm</b>',
  ]) {
    t.ok(text.includes(s), `visible: ${s}`);
  }
});

t.test('hostile fields print as text, whole, in the page and in the PDF', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const payload =
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> </style><b>{{7*7}}</b> Đà Bắc – Mỹ Hóa';
  const field = (name: string) => `${name} ${payload}`;
  const post = async (s: SiteInput): Promise<Site> =>
    (
      await api.app.inject({
        method: 'POST',
        url: '/api/sites',
        headers: { cookie: api.adminCookie },
        payload: s,
      })
    ).json();
  const main = await post({ ...benTreMain, name: field('Chính') });
  const other = await post({
    ...benTreSites[0]!,
    name: field('Điểm cầu'),
    hostUnit: field('Trường'),
    attendingUnits: [field('Trung tâm')],
  });
  const input = benTreMeeting(main.id, [other.id]);
  const meeting: MeetingInput = {
    ...input,
    title: field('Hội nghị'),
    chair: field('Chủ trì'),
    mainSite: { ...input.mainSite, note: `${field('Ghi chú 1')}\n${field('Ghi chú 2')}` },
    sites: [{ siteId: other.id, composition: [{ role: field('Thành phần') }] }],
    agenda: [
      {
        startsAt: '2013-03-11T07:30:00+07:00',
        title: field('Khai mạc'),
        presenter: field('Người'),
      },
    ],
    banner: field('Tít'),
  };
  const html = await convocation(api, meeting);
  const seen = await render(t, html, 'convocation-hostile');
  t.equal(seen.foreign, 0, 'no script, img or handler in the page');
  t.equal(seen.dialogs, 0, 'nothing ran');
  t.equal(seen.title, `Giấy triệu tập – ${field('Hội nghị')}`, 'the title is the text');
  for (const s of [
    field('Hội nghị'),
    `do ${field('Chủ trì')} chủ trì`,
    field('Chính'),
    field('Điểm cầu'),
    field('Trường'),
    field('Trung tâm'),
    `${field('Ghi chú 1')}\n${field('Ghi chú 2')}`,
    field('Thành phần'),
    field('Khai mạc'),
    field('Người'),
    field('Tít').toLocaleUpperCase('vi'),
    'Khai mạc lúc 07 giờ 30, Thứ Hai, ngày 11 tháng 3 năm 2013',
  ]) {
    t.ok(seen.text.includes(s), `visible: ${s.slice(0, 24)}`);
  }
  for (const s of [
    field('Hội nghị'),
    `do ${field('Chủ trì')} chủ trì`,
    `* ${field('Trung tâm')} dự họp tại điểm cầu ${field('Điểm cầu')} (${field('Trường')}).`,
  ]) {
    t.ok(seen.pdfText.includes(s.replace(/\s+/g, '')), `in the PDF: ${s.slice(0, 24)}`);
  }
});
