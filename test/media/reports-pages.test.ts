// runs alone: the printing Chromium's answer was cut (ECONNRESET) beside pages-e2e in a clean-clone run.
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { reportRequestInputSchema } from '../../protocol/reports.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import {
  hoaBinhBriefing,
  hoaBinhDistrictSites,
  hoaBinhMainSite,
} from '../../server/demo/hoaBinh.js';
import { reportTemplates } from '../../server/reports/templates.js';
import { Service } from '../../server/Service.js';
import { artifactPath, launchChromium, tempDir } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { freeRtcPortBase } from '../helpers/ports.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Seed 004's outline, copied from the built-in template, filled in from a site's reporter page
 * in Debian's Chromium against the real server; then IT staff see it received on the board.
 * Screenshots go to test-artifacts/reports-*.png.
 */

const ADMIN = { username: 'it.so', password: 'mat-khau-rat-dai-2026' };
const system: Actor = { kind: 'system', name: 'test' };

t.test('seed 004 outline filled from a site page, then on the IT board', async (t) => {
  t.setTimeout(180_000);
  const redis = await startTestRedis(t);
  const dataDir = tempDir(t, 'diemcau-reports-pages-');
  const portBase = await freeRtcPortBase();
  const service = await Service.start({
    config: loadConfig({
      env: {
        REDIS_URL: redis.url,
        PORT: '0',
        HOST: '127.0.0.1',
        RTC_PORT_BASE: String(portBase),
        RTC_LISTEN_IP: '127.0.0.1',
        ANNOUNCED_ADDRESS: '127.0.0.1',
        MEDIASOUP_WORKERS: '1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
    }),
    logger: testLogger,
  });
  t.teardown(() => service.close('test done'));
  const { data } = service;
  await data.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
  const main = await data.sites.create(siteInputSchema.parse(hoaBinhMainSite), system);
  const districts = [];
  for (const s of hoaBinhDistrictSites.slice(0, 3))
    districts.push(await data.sites.create(siteInputSchema.parse(s), system));
  const d = vietnamParts(Date.now() + 10 * 86_400_000);
  const meeting = await data.meetings.create(
    meetingInputSchema.parse(
      hoaBinhBriefing({
        year: d.year,
        month: d.month,
        day: d.day,
        letterDate: '2011-10-21',
        mainSiteId: main.id,
        districtSiteIds: districts.map((x) => x.id),
      }),
    ),
    system,
  );
  const template = reportTemplates.find((x) => x.id === 'seed-004-tong-ket')!;
  const template000Length = reportTemplates.find((x) => x.id === 'seed-000-so-ket-hoc-ky')!.sections
    .length;
  const request = await data.reports.create(
    meeting.id,
    reportRequestInputSchema.parse({
      title: template.title,
      siteIds: districts.map((x) => x.id),
      sections: template.sections,
      deadline: { kind: 'relative', days: 3, direction: 'before' },
    }),
    system,
  );
  const site = districts[0]!;
  const link = await data.access.issueLink(
    meeting.id,
    { role: 'reporter', siteId: site.id },
    system,
  );

  const browser = await launchChromium(t);
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[reporter] page error: ${err.message}\n`));
  page.on('dialog', (dialog) => void dialog.accept());

  await page.goto(link.url.replace(/^https?:\/\/[^/]+/, service.url));
  await page.getByTestId('reporter-page').waitFor();
  const form = page.getByTestId(`report-${request.id}`);
  await form.getByText('Chưa bắt đầu').waitFor();
  t.pass('the reporter page shows what is due, not started');
  await page.screenshot({ path: artifactPath('reports-01-reporter-empty.png'), fullPage: true });

  // Submitting with required sections empty is explained on the first missing field.
  await form.getByRole('button', { name: 'Nộp báo cáo' }).click();
  await form
    .getByText(/Mục bắt buộc chưa có nội dung/)
    .first()
    .waitFor();
  t.pass('missing required sections are named');

  const answers: Record<string, string> = {
    'p1-1':
      'Phòng GD&ĐT đã tổ chức quán triệt Chỉ thị 40-CT/TW đến 100% cán bộ quản lý và giáo viên.',
    'p1-2': 'Ban hành 12 văn bản chỉ đạo; kiểm tra định kỳ mỗi học kỳ.',
    'p1-3': 'Nhận thức của cấp ủy, chính quyền về xây dựng đội ngũ chuyển biến rõ rệt.',
    p2: 'Tỷ lệ giáo viên đạt chuẩn 98,6%; trên chuẩn 41,2%.\nChỉ tiêu bồi dưỡng cán bộ quản lý chưa đạt do thiếu kinh phí.',
    'p3-1': 'Đội ngũ ổn định, tâm huyết.',
    'p3-2': 'Còn thiếu giáo viên tiếng Anh, tin học.',
    'p3-3': 'Nguồn tuyển dụng hạn chế; chế độ thu hút chưa đủ hấp dẫn.',
    'p3-4': 'Rà soát, quy hoạch đội ngũ giai đoạn 2011–2015.',
  };
  for (const s of template.sections) {
    const text = answers[s.id];
    if (text) await page.locator(`#sec-${request.id}-${s.id}`).fill(text);
  }
  await form.getByRole('button', { name: 'Lưu nháp' }).click();
  await form.getByText('Đang soạn').waitFor();
  t.pass('draft saved');
  await page.screenshot({ path: artifactPath('reports-02-reporter-filled.png'), fullPage: true });

  await form.getByRole('button', { name: 'Nộp báo cáo' }).click();
  const received = form.getByTestId('received');
  await received.waitFor();
  t.match(await received.textContent(), /^Đã nhận lúc \d\d:\d\d \d\d\/\d\d\/\d{4}$/);
  await page.screenshot({ path: artifactPath('reports-03-reporter-received.png'), fullPage: true });
  const stored = await data.reports.findSubmission(request.id, site.id);
  t.equal(stored?.sections.p2, answers.p2, 'the text is stored as typed, line breaks kept');
  t.ok(stored?.submittedAt);

  // IT staff: the board shows the site received, the others not started.
  const it = await context.browser()!.newContext({
    viewport: { width: 1366, height: 900 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  t.teardown(() => it.close());
  const admin = await it.newPage();
  await admin.goto(`${service.url}/`);
  await admin.getByLabel('Tên đăng nhập').fill(ADMIN.username);
  await admin.getByLabel('Mật khẩu').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await admin.getByRole('heading', { name: 'Hội nghị', exact: true }).waitFor();
  await admin.goto(`${service.url}/admin/meetings/${meeting.id}`);
  const board = admin.getByTestId('report-board');
  await board.waitFor();
  t.equal(await board.locator('tr[data-status="submitted"]').count(), 1);
  t.equal(await board.locator('tr[data-status="not-started"]').count(), 2);
  await admin.getByTestId('reports-card').scrollIntoViewIfNeeded();
  await admin
    .getByTestId('reports-card')
    .screenshot({ path: artifactPath('reports-04-it-board.png') });

  // IT issues a reporter link for a site from the board.
  await board
    .locator('tr[data-status="not-started"]')
    .first()
    .getByRole('button', { name: 'Cấp liên kết' })
    .click();
  const issued = board.locator('input.link-url');
  await issued.waitFor();
  t.match(await issued.inputValue(), /\/join\/[A-Za-z0-9_-]{43}$/, 'a reporter link for the site');

  // IT asks for another report by copying seed 000's outline and editing it.
  const card = admin.getByTestId('reports-card');
  await card.getByRole('button', { name: 'Thêm yêu cầu báo cáo' }).click();
  const editor = admin.getByTestId('report-editor');
  await editor.getByLabel('Sao chép từ mẫu').selectOption('seed-000-so-ket-hoc-ky');
  t.equal(await editor.getByLabel('Tên báo cáo').inputValue(), 'Báo cáo sơ kết học kỳ I');
  await editor.getByLabel('Số ngày').fill('15');
  await editor.getByLabel('Hạn nộp', { exact: true }).selectOption('after');
  await editor.getByRole('button', { name: 'Thêm mục' }).click();
  await editor.getByLabel('Tên mục').last().fill('Kết quả hội thảo trong vùng');
  await editor.screenshot({ path: artifactPath('reports-06-it-editor.png') });
  await editor.getByRole('button', { name: 'Lưu yêu cầu' }).click();
  await card.getByRole('heading', { name: 'Báo cáo sơ kết học kỳ I' }).waitFor();
  const all = await data.reports.list(meeting.id);
  const second = all.find((x) => x.title === 'Báo cáo sơ kết học kỳ I')!;
  t.same(second.deadline, { kind: 'relative', days: 15, direction: 'after' });
  t.equal(second.sections.length, template000Length + 1, 'the template copied, one section added');
  t.equal(second.sections.at(-1)!.title, 'Kết quả hội thảo trong vùng');

  // The consolidated report, printed as the department would.
  const doc = await it.newPage();
  await doc.goto(
    `${service.url}/api/meetings/${meeting.id}/report-requests/${request.id}/consolidated.html`,
  );
  await doc.getByText('BÁO CÁO TỔNG HỢP', { exact: false }).first().waitFor();
  t.match(await doc.content(), '3.2. Hạn chế, tồn tại');
  await doc.screenshot({ path: artifactPath('reports-05-consolidated.png'), fullPage: true });
  const pdf = await it.request.get(
    `${service.url}/api/meetings/${meeting.id}/report-requests/${request.id}/consolidated.pdf`,
  );
  t.equal(pdf.status(), 200, 'PDF printed by Chromium');
  const bytes = await pdf.body();
  t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  t.ok(bytes.length > 5000, `PDF of ${bytes.length} bytes`);
});
