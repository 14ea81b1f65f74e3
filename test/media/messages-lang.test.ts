import type { Locator } from 'playwright-core';
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import type { MeetingReadiness } from '../../protocol/readiness.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { Service } from '../../server/Service.js';
import { launchChromium, openPage, tempDir, waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Messages travel as data in both languages: the technician's check result and IT's readiness
 * board, rendered by the real pages from a real check (real server, Chromium with fake devices),
 * hold no Vietnamese in the English view and the Vietnamese text in the Vietnamese view, and
 * the board lists every problem of the site, with "Màn hình / máy chiếu" whole.
 */

/** Any letter with a Vietnamese diacritic (NFC), or đ. */
const VIETNAMESE = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;
const ADMIN = { username: 'it.so', password: 'mat-khau-rat-dai-2026' };
const system: Actor = { kind: 'admin', id: 'test', name: 'test' };

const textOf = async (l: Locator) => ((await l.textContent()) ?? '').normalize('NFC');
const vietnameseIn = (s: string) => s.match(new RegExp(`.{0,30}${VIETNAMESE.source}.{0,30}`, 'i'));

t.test('the check result and the readiness board in English and in Vietnamese', async (t) => {
  t.setTimeout(120_000);
  const redis = await startTestRedis(t);
  const config = loadConfig({
    env: {
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      MEDIASOUP_WORKERS: '1',
      DATA_DIR: tempDir(t, 'diemcau-lang-'),
      LOG_LEVEL: 'warn',
      // Out of reach on purpose: the check has reasons (with figures) to show in both languages.
      CHECK_MIN_UPLINK_KBPS: '50000',
      CHECK_MIN_DOWNLINK_KBPS: '50000',
    },
  });
  const svc = await Service.start({ config, logger: testLogger });
  t.teardown(() => svc.close('test done'));
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 't',
  });
  const main = await svc.data.sites.create(
    siteInputSchema.parse({ name: 'Hoi truong So', kind: 'main_hall' }),
    system,
  );
  // Names are data, not messages: plain ASCII here so that any diacritic on the English view
  // is a message left untranslated.
  const site = await svc.data.sites.create(
    siteInputSchema.parse({
      name: 'Phong GD Da Bac',
      kind: 'district_office',
      technician: { name: 'Nguyen Van A', phone: '0912345678' },
    }),
    system,
  );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await svc.data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban thu',
      organizer: 'So GD',
      opensAt: iso(now + 86_400_000),
      closesAt: iso(now + 86_400_000 + 3600_000),
      // Already passed: scheduling opens the check window at once, and the page checks by itself.
      checkAt: iso(now - 60_000),
      mainSite: { siteId: main.id },
      sites: [{ siteId: site.id, expectedCount: 15 }],
    }),
    system,
  );
  const meeting = await svc.data.meetings.transition(created.id, 'schedule', system);
  const { token } = await svc.data.access.issueLink(
    meeting.id,
    { role: 'technician', siteId: site.id },
    system,
  );
  const browser = await launchChromium(t);

  // The technician, in English from the start (the language the page remembers).
  const tech = await openPage(browser, 'about:blank', 'technician');
  t.teardown(() => tech.context.close().catch(() => {}));
  await tech.context.addInitScript(() => localStorage.setItem('diemcau.lang', 'en'));
  await tech.page.goto(`${svc.url}/join/${token}`);
  const result = tech.page.getByTestId('check-result');
  await result.waitFor({ timeout: 60_000 });
  await tech.page
    .getByTestId('check')
    .locator('details')
    .evaluate((d) => {
      (d as HTMLDetailsElement).open = true;
    });
  const resultEn = await textOf(tech.page.getByTestId('check'));
  t.comment(`check result (en): ${resultEn}`);
  t.match(resultEn, /Uplink .*kbps/, 'the reasons are shown, with their figures');
  t.notOk(
    vietnameseIn(resultEn),
    `no Vietnamese in the English check result: ${vietnameseIn(resultEn)}`,
  );

  await tech.page.getByTestId('lang-switch').click();
  const resultVi = await textOf(tech.page.getByTestId('check'));
  t.match(resultVi, /Băng thông gửi đi/, 'the Vietnamese view has the Vietnamese reasons');
  t.match(resultVi, /Kiểm tra kết nối/);

  // Every item but the display is ready: the board must say which one, whole.
  const checklist = tech.page.getByTestId('checklist');
  for (const box of await checklist.getByRole('checkbox').all()) {
    const id = await box.getAttribute('id');
    if (id !== 'cl-display') await box.check();
  }
  await tech.page.getByTestId('confirm-checklist').click();
  await tech.page.getByTestId('checklist-confirmed').waitFor({ timeout: 10_000 });

  // IT staff, in Vietnamese (the default).
  const it = await openPage(browser, `${svc.url}/`, 'it');
  t.teardown(() => it.context.close().catch(() => {}));
  await it.page.getByLabel('Tên đăng nhập').fill(ADMIN.username);
  await it.page.getByLabel('Mật khẩu').fill(ADMIN.password);
  await it.page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await it.page.getByRole('heading', { name: 'Hội nghị', exact: true }).waitFor();
  await it.page.goto(`${svc.url}/admin/meetings/${meeting.id}`);
  const board = it.page.getByTestId('readiness');
  const problems = board.getByTestId('readiness-problem');
  await waitFor(
    async () => (await problems.filter({ hasText: 'Màn hình' }).count()) > 0,
    20_000,
    'the checklist problem on the board',
  );
  const problemTexts = (await problems.allTextContents()).map((s) => s.normalize('NFC'));
  t.comment(`problems (vi): ${problemTexts.join(' | ')}`);
  t.ok(
    problemTexts.some((p) => p.includes('Chưa xác nhận: Màn hình / máy chiếu')),
    'the item "Màn hình / máy chiếu" is shown whole',
  );
  // What the server holds: every reason of the last check that lowers the verdict.
  const summary = (await it.page.evaluate(
    (url) => fetch(url).then((r) => r.json()),
    `/api/meetings/${meeting.id}/readiness`,
  )) as MeetingReadiness;
  const stored = summary.sites.find((s) => s.siteId === site.id);
  const lowering = (stored?.lastCheck?.reasons ?? []).filter((r) => r.severity !== 'info');
  t.ok(lowering.length >= 1, `the check found ${lowering.length} problem(s)`);
  t.equal(
    await problems.and(board.locator('[data-kind="check"]')).count(),
    lowering.length,
    'every reason of the check listed, not only the first',
  );
  t.equal(problemTexts.length, lowering.length + 1, 'and the missing item: one line each');
  const boardVi = await textOf(board);
  t.match(boardVi, /Băng thông gửi đi/, 'the Vietnamese board has the Vietnamese reasons');

  await it.page.getByTestId('lang-switch').click();
  await waitFor(
    async () => (await problems.filter({ hasText: 'Display / projector' }).count()) > 0,
    5_000,
    'the English board',
  );
  const boardEn = await textOf(board);
  t.comment(`board (en): ${boardEn}`);
  t.match(boardEn, /Not confirmed: Display \/ projector/);
  t.match(boardEn, /Uplink .*kbps/);
  t.notOk(vietnameseIn(boardEn), `no Vietnamese on the English board: ${vietnameseIn(boardEn)}`);
});
