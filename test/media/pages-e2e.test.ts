import type { BrowserContext, Page } from 'playwright-core';
import t from 'tap';
import { defaultCheckAt, formatDateTime, formatTime, vietnamDate } from '../../protocol/time.js';
import { artifactPath, launchChromium, waitFor } from '../helpers/browser.js';
import { startTestService } from '../helpers/service.js';

/*
 * The pages against the real server (Service: Redis, mediasoup, signaling, checks) driven in
 * Debian's Chromium with fake devices: IT staff log in, create sites and a meeting, schedule it
 * and issue links; a technician runs the connection check and confirms the checklist; the chair
 * starts the session and gives the floor; the sites see it. Screenshots of every page at
 * 1366×768 and 1920×1080 go to test-artifacts/.
 */

const ADMIN = { username: 'it.so', password: 'mat-khau-rat-dai-2026' };
const SIZES = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
] as const;
const SITES = {
  main: { name: 'Hội trường Sở GD&ĐT Hòa Bình', kind: 'main_hall' },
  a: {
    name: 'Phòng GD&ĐT Đà Bắc',
    kind: 'district_office',
    tech: 'Nguyễn Văn Hùng',
    phone: '0912 345 678',
  },
  b: {
    name: 'Phòng GD&ĐT Mai Châu',
    kind: 'district_office',
    tech: 'Lê Thị Hồng',
    phone: '0987 654 321',
  },
} as const;

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(350);
    await page.screenshot({
      path: artifactPath(`pages-${name}-${size.width}x${size.height}.png`),
      fullPage,
    });
  }
  await page.setViewportSize(SIZES[0]);
}

async function newPage(
  contexts: BrowserContext[],
  browser: Awaited<ReturnType<typeof launchChromium>>,
  name: string,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: SIZES[0],
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[${name}] page error: ${err.message}\n`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || process.env.TEST_BROWSER_LOG)
      process.stderr.write(`[${name}] ${msg.type()}: ${msg.text()}\n`);
  });
  page.on('dialog', (d) => void d.accept());
  return page;
}

t.test('the pages, end to end against the real server', async (t) => {
  t.setTimeout(300_000);
  const svc = await startTestService(t, { name: 'pages' });
  const base = svc.url;
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 'test',
  });

  const browser = await launchChromium(t);
  const contexts: BrowserContext[] = [];
  t.teardown(async () => {
    for (const c of contexts) await c.close().catch(() => {});
  });

  // ---- IT staff ------------------------------------------------------------------------------
  const it = await newPage(contexts, browser, 'it');
  await it.goto(`${base}/`);
  await it.getByRole('heading', { name: 'Đăng nhập tổ công nghệ thông tin' }).waitFor();
  await shoot(it, '01-login');

  await it.getByLabel('Tên đăng nhập').fill(ADMIN.username);
  await it.getByLabel('Mật khẩu').fill('sai-mat-khau');
  await it.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await it.getByText('Tên đăng nhập hoặc mật khẩu không đúng').waitFor();
  t.pass('a wrong password is explained in Vietnamese');
  await it.getByLabel('Mật khẩu').fill(ADMIN.password);
  await it.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await it.getByRole('heading', { name: 'Hội nghị', exact: true }).waitFor();
  t.pass('IT staff log in');

  await t.test('the site directory: create sites, with a mistake explained', async (t) => {
    await it.getByRole('link', { name: 'Danh mục điểm cầu' }).click();
    await it.getByRole('heading', { name: 'Danh mục điểm cầu' }).waitFor();
    for (const key of ['main', 'a', 'b'] as const) {
      const s = SITES[key];
      await it.getByTestId('add-site').click();
      const form = it.getByTestId('site-form');
      await form.getByLabel('Tên điểm cầu').fill(s.name);
      await form.getByLabel('Loại điểm cầu').selectOption(s.kind);
      if ('tech' in s) {
        await form.getByLabel('Tên cán bộ kỹ thuật').fill(s.tech);
        if (key === 'a') {
          await form.getByLabel('Số điện thoại').fill('gọi tôi');
          await form.getByTestId('save-site').click();
          const error = form.locator('#site-tech-phone-error');
          await error.waitFor();
          t.match(
            await error.textContent(),
            /chỉ gồm chữ số/,
            'a bad phone number is marked on its field',
          );
          t.equal(await form.getByLabel('Số điện thoại').getAttribute('aria-invalid'), 'true');
        }
        await form.getByLabel('Số điện thoại').fill(s.phone);
      }
      await form.getByTestId('save-site').click();
      await it.getByTestId('sites-table').getByText(s.name, { exact: true }).waitFor();
    }
    const tel = it.getByTestId('sites-table').locator('a[href^="tel:"]').first();
    t.equal(await tel.getAttribute('href'), 'tel:0912345678', 'technician phone is a tel: link');
    await shoot(it, '02-sites');
  });

  const tomorrow = vietnamDate(Date.now() + 86_400_000);
  let meetingUrl = '';

  await t.test('create a meeting with sites, composition and agenda', async (t) => {
    await it.getByRole('link', { name: 'Hội nghị', exact: true }).click();
    await it.getByTestId('new-meeting').click();
    const form = it.getByTestId('meeting-form');
    await form.waitFor();
    await form.getByLabel('Tên hội nghị').fill('Hội nghị giao ban trực tuyến tháng 11 năm 2026');
    await form.getByLabel('Đơn vị tổ chức').fill('Sở Giáo dục và Đào tạo Hòa Bình');
    await form.getByLabel('Chủ trì', { exact: true }).fill('Giám đốc Sở GD&ĐT');
    await form
      .getByLabel('Tít trên phông chính')
      .fill('HỘI NGHỊ GIAO BAN TRỰC TUYẾN\nTHÁNG 11 NĂM 2026');
    await form.getByLabel('Ngày họp').fill(tomorrow.split('-').reverse().join('/'));
    await form.getByLabel('Giờ khai mạc').fill('7h30');
    await form.getByLabel('Giờ kết thúc').fill('25:00');
    await it.getByTestId('save-meeting').click();
    await form.getByText('Giờ phải theo dạng hh:mm (24 giờ)').waitFor();
    t.pass('a time that is not a time is explained before anything is sent');
    await form.getByLabel('Giờ kết thúc').fill('07:00');
    const expectedCheck = formatDateTime(defaultCheckAt(`${tomorrow}T07:30:00+07:00`));
    t.match(
      await it.getByTestId('check-default').textContent(),
      expectedCheck,
      `the check defaults to 08:00 the day before (${expectedCheck})`,
    );
    // The check window opens now (two minutes ago), as IT staff move it for a rehearsal.
    const checkAt = Date.now() - 120_000;
    await form.getByLabel('Kiểm tra kỹ thuật lúc 08:00 ngày hôm trước').uncheck();
    await form
      .getByLabel('Ngày kiểm tra kỹ thuật')
      .fill(vietnamDate(checkAt).split('-').reverse().join('/'));
    await form.getByLabel('Giờ kiểm tra kỹ thuật').fill(formatTime(checkAt));
    await form.locator('#m-main-site').selectOption({ label: SITES.main.name });
    await form.getByLabel(new RegExp(`^${SITES.a.name}`)).check();
    await form.getByLabel(new RegExp(`^${SITES.b.name}`)).check();
    const first = it.getByTestId('site-composition').nth(1);
    await first.getByRole('button', { name: /Thêm thành phần/ }).click();
    await first
      .getByLabel('Thành phần', { exact: true })
      .fill('Lãnh đạo Phòng GD&ĐT, chuyên viên phụ trách');
    await first.getByLabel('Số người', { exact: true }).fill('3');
    await first.getByLabel('Số người dự kiến', { exact: true }).fill('12');
    await first.getByRole('button', { name: /Áp dụng thành phần này/ }).click();
    const agenda = [
      ['07:30', 'Khai mạc, giới thiệu đại biểu', ''],
      ['07:35', 'Phát biểu chỉ đạo của Giám đốc Sở', ''],
      ['07:45', 'Báo cáo kết quả tháng 10', SITES.a.name],
    ] as const;
    for (const [i, [time, title, site]] of agenda.entries()) {
      await it.getByTestId('add-agenda').click();
      const row = it.getByTestId('agenda-row').nth(i);
      await row.getByLabel('Giờ', { exact: true }).fill(time);
      await row.getByLabel('Nội dung', { exact: true }).fill(title);
      if (site) await row.getByLabel('Điểm cầu trình bày').selectOption({ label: site });
    }
    await it.getByTestId('save-meeting').click();
    const closesError = form.locator('.field:has(#m-closes) .error');
    await closesError.waitFor();
    t.match(
      await closesError.textContent(),
      /Giờ kết thúc phải sau giờ khai mạc/,
      'closing before opening is explained on the field',
    );
    await form.getByLabel('Giờ kết thúc').fill('11:00');
    await shoot(it, '03-meeting-editor');
    await it.getByTestId('save-meeting').click();
    await it.getByTestId('meeting-title').waitFor();
    meetingUrl = it.url();
    t.match(meetingUrl, /\/admin\/meetings\/[\w-]+$/, 'saved, on the meeting page');
    t.equal(await it.getByTestId('meeting-state').textContent(), 'Bản nháp');
    await it.getByTestId('action-schedule').click();
    await waitFor(
      async () => (await it.getByTestId('meeting-state').textContent()) === 'Đã lên lịch',
      5000,
      'scheduled',
    );
    t.pass('scheduled');
  });

  const links: Record<string, string> = {};
  await t.test('issue join links', async (t) => {
    await it.getByTestId('issue-missing').click();
    await it.getByTestId('link-url').first().waitFor();
    const rows = it.getByTestId('links-table').locator('tbody tr');
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const role = await row.getAttribute('data-role');
      const site = await row.getAttribute('data-site');
      const url = await row.getByTestId('link-url').inputValue();
      const key = role === 'technician' ? `technician:${site}` : String(role);
      links[key] = `${base}${new URL(url).pathname}`;
    }
    t.ok(links.chair && links.station, 'chair and station links');
    t.equal(
      Object.keys(links).filter((k) => k.startsWith('technician:')).length,
      2,
      'one per site',
    );
  });
  const siteIds = await svc.data.sites.list();
  const idOf = (name: string) => siteIds.find((s) => s.name === name)!.id;
  const linkA = links[`technician:${idOf(SITES.a.name)}`]!;
  const linkB = links[`technician:${idOf(SITES.b.name)}`]!;

  await t.test('English switch, remembered across a reload', async (t) => {
    await it.getByTestId('lang-switch').click();
    await it.getByRole('link', { name: 'Meetings', exact: true }).waitFor();
    await it.reload();
    await it.getByRole('link', { name: 'Meetings', exact: true }).waitFor();
    t.pass('English after a reload');
    await shoot(it, '04-meeting-detail-en');
    await it.getByTestId('lang-switch').click();
    await it.getByRole('link', { name: 'Hội nghị', exact: true }).waitFor();
  });

  // ---- the technician ------------------------------------------------------------------------
  const siteA = await newPage(contexts, browser, 'site-a');
  const siteB = await newPage(contexts, browser, 'site-b');
  const connected = (p: Page) =>
    p.locator('[data-testid="conn-state"][data-state="connected"]').waitFor({ timeout: 20_000 });

  await t.test('technician: waiting screen, devices, the check and the checklist', async (t) => {
    // Scheduling with a check time already passed opens the window at once.
    await waitFor(
      async () => {
        if ((await it.getByTestId('meeting-state').textContent()) === 'Đang kiểm tra kỹ thuật')
          return true;
        await it.reload();
        await it.getByTestId('meeting-state').waitFor();
        return false;
      },
      20_000,
      'the check window open',
    );
    await siteA.goto(linkA);
    await siteA.getByTestId('waiting').waitFor();
    await connected(siteA);
    t.match(await siteA.getByTestId('waiting').textContent(), /HỘI NGHỊ GIAO BAN TRỰC TUYẾN/);
    await siteA.locator('[data-testid="devices"] [data-has-video="true"]').waitFor();
    t.pass('the camera preview runs');
    await siteB.goto(linkB);
    await connected(siteB);
    await shoot(siteA, '05-technician-waiting');

    // In the window the page checks by itself as soon as it connects…
    const result = siteA.getByTestId('check-result');
    await siteA.getByTestId('check-step').waitFor({ timeout: 15_000 });
    await shoot(siteA, '06-technician-check-running', false);
    await result.waitFor({ timeout: 90_000 });
    t.ok(await result.getAttribute('data-verdict'), 'the automatic check ends with a verdict');
    // …and the technician runs it again, answering about the speakers.
    await siteA.getByTestId('run-check').click();
    const checkError = siteA.getByTestId('check').getByTestId('error');
    await Promise.race([
      siteA.getByTestId('speaker-yes').waitFor({ timeout: 90_000 }),
      checkError.waitFor({ timeout: 90_000 }).then(async () => {
        throw new Error(`the check failed: ${await checkError.textContent()}`);
      }),
    ]);
    await siteA.getByTestId('speaker-yes').click();
    await result.waitFor({ timeout: 30_000 });
    const verdict = await result.getAttribute('data-verdict');
    t.ok(verdict, `the technician's check ends with a verdict (${verdict})`);
    t.match(await result.textContent(), /Sẵn sàng|Chưa đạt|Tạm được/, 'shown in plain words');

    const checklist = siteA.getByTestId('checklist');
    for (const box of await checklist.getByRole('checkbox').all()) await box.check();
    await siteA.getByTestId('confirm-checklist').click();
    await siteA.getByTestId('checklist-confirmed').waitFor();
    t.pass('checklist confirmed');
    await shoot(siteA, '07-technician-checked');
  });

  await t.test('IT board: readiness of every site', async (t) => {
    const row = it.locator(`[data-testid="readiness-row"][data-site="${idOf(SITES.a.name)}"]`);
    await waitFor(
      async () => /6\/6/.test((await row.textContent()) ?? ''),
      10_000,
      'checklist on the board',
    );
    t.match(await row.textContent(), /Trực tuyến/, 'site A online');
    t.match(await row.textContent(), /kbps/, 'with its check figures');
    await shoot(it, '08-it-readiness');
  });

  // ---- main point and chair -----------------------------------------------------------------
  const station = await newPage(contexts, browser, 'station');
  const chair = await newPage(contexts, browser, 'chair');

  await t.test('the station publishes; the chair starts and gives the floor', async (t) => {
    await station.goto(links.station!);
    await connected(station);
    await station.getByText('Đang phát hình và tiếng').waitFor({ timeout: 15_000 });
    await chair.goto(links.chair!);
    await connected(chair);
    await chair.getByTestId('shortcuts').waitFor();
    await shoot(chair, '09-chair-waiting', false);

    await chair.getByTestId('start-session').click();
    await chair.getByTestId('session-status').getByText('Đang họp').waitFor();
    t.pass('the session is live');
    await siteA.locator('#stage[data-has-video="true"]').waitFor({ timeout: 20_000 });
    t.pass('site A shows the main point');

    await siteA.getByTestId('raise-hand').click();
    await chair.getByTestId('hand-queue').getByText(SITES.a.name).waitFor();
    t.pass("site A's raised hand reaches the chair's queue");

    await chair.locator('body').press('q');
    await siteA.getByTestId('floor-banner').waitFor();
    t.pass('the chair gives the floor with the Q shortcut; site A is told');
    await waitFor(
      async () => ((await siteB.getByTestId('floor').textContent()) ?? '').includes(SITES.a.name),
      10_000,
      'site B sees who has the floor',
    );
    // The stage already shows the main point; wait until it switches to the site with the floor.
    await waitFor(
      async () =>
        (
          await siteB
            .locator('#stage[data-has-video="true"] .caption')
            .textContent({ timeout: 500 })
            .catch(() => '')
        )?.includes(SITES.a.name),
      20_000,
      'site B stage showing site A',
    );
    t.pass('site B shows site A');

    const tileB = chair.locator(`[data-testid="site-tile"][data-site="${idOf(SITES.b.name)}"]`);
    await tileB.getByTestId('mute').click();
    await siteB.getByTestId('muted-banner').waitFor();
    t.pass('muted by the chair is shown at the site');

    await chair.locator('body').press('n');
    await chair.locator('[data-testid="agenda"] li[aria-current="step"]').waitFor();
    await chair
      .locator(`[data-testid="site-tile"] [data-has-video="true"]`)
      .first()
      .waitFor({ timeout: 15_000 });
    await shoot(chair, '10-chair-live', false);
    await shoot(siteA, '11-technician-floor', false);
    await shoot(siteB, '12-technician-live-muted', false);
    await station.getByTestId('floor').getByText(SITES.a.name).waitFor();
    await shoot(station, '13-station', false);
  });

  await t.test('the network drops: "Đang kết nối lại…" and back by itself', async (t) => {
    await siteB.context().setOffline(true);
    const banner = await siteB
      .getByTestId('reconnecting')
      .waitFor({ timeout: 15_000 })
      .then(() => true)
      .catch(() => false);
    if (banner) await shoot(siteB, '14-technician-reconnecting', false);
    await siteB.context().setOffline(false);
    if (!banner) {
      t.comment('offline emulation did not drop the websocket; banner not exercised');
      return;
    }
    await connected(siteB);
    t.pass('the reconnecting banner shows and clears without a reload');
  });

  await t.test('the chair ends the meeting', async (t) => {
    await chair.getByTestId('end-session').click();
    await siteA.getByTestId('ended-banner').waitFor({ timeout: 10_000 });
    t.pass('sites are told the meeting ended');
    await shoot(siteA, '16-technician-ended', false);
  });

  await it.goto(meetingUrl);
  await it.getByTestId('meeting-title').waitFor();
  await it.goto(`${base}/`);
  await it.getByTestId('meeting-card').first().waitFor();
  await shoot(it, '15-meetings-list');
});
