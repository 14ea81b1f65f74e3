import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { Meeting, MeetingInput } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
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

/** Renders in headless Chromium, keeps a screenshot and an A4 PDF, returns the visible text. */
async function render(t: Test, html: string, name: string): Promise<string> {
  const context = await browser.newContext({
    viewport: { width: 900, height: 1200 },
    locale: 'vi-VN',
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  writeFileSync(artifactPath(`${name}.html`), html);
  await page.setContent(html, { waitUntil: 'load' });
  await page.screenshot({ path: artifactPath(`${name}.png`), fullPage: true });
  await page.pdf({ path: artifactPath(`${name}.pdf`), format: 'A4', printBackground: true });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth,
  );
  t.notOk(overflow, 'no horizontal overflow');
  return page.innerText('body');
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
  const text = await render(t, html, 'convocation-seed002');
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
  const text = await render(t, html, 'convocation-seed003');
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
