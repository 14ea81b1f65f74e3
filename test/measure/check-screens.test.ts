import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { Service } from '../../server/Service.js';
import { artifactPath, chromiumFlags, tempDir, waitFor } from '../helpers/browser.js';
import { busyLoop } from '../helpers/busyLoop.js';
import { noiseVideo } from '../helpers/fakeVideo.js';
import { startImpairedRelay } from '../helpers/impairedRelay.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * The technician page and the IT readiness board for three sites checked in the open window:
 * a healthy one, one behind a bad link (5 % loss and 120 ms each way, the impaired relay) and one
 * whose computer is
 * starved of CPU (its Chromium on one core, at a low priority, next to a busy loop). Screenshots
 * go to test-artifacts/check-*.png. Heavy (three browsers, ~2 min): runs with CHECK_SCREENS=1.
 */
const skip = process.env.CHECK_SCREENS === '1' ? false : 'set CHECK_SCREENS=1 (screenshots)';
// Three checks one after the other, the last on a starved browser: longer than the suite's 180 s.
if (!skip) t.setTimeout(600_000);
const ADMIN = { username: 'it.so', password: 'mat-khau-rat-dai-2026' };
const system: Actor = { kind: 'admin', id: 'test', name: 'test' };

t.test('the check screens: healthy, bad link, CPU-starved', { skip }, async (t) => {
  t.setTimeout(400_000);
  const redis = await startTestRedis(t);
  const relay = await startImpairedRelay();
  t.teardown(() => relay.close());
  const config = loadConfig({
    env: {
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      RTC_PORT_BASE: String(relay.port),
      RTC_LISTEN_IP: relay.targetHost,
      ANNOUNCED_ADDRESS: relay.listenHost,
      MEDIASOUP_WORKERS: '1',
      DATA_DIR: tempDir(t, 'diemcau-screens-'),
      LOG_LEVEL: 'warn',
    },
  });
  const svc = await Service.start({ config, logger: testLogger });
  t.teardown(() => svc.close('test done'));
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 'test',
  });
  const main = await svc.data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const names = ['Phòng GD&ĐT Đà Bắc', 'Phòng GD&ĐT Mai Châu', 'Trường THCS Tân Lạc'];
  const sites = [];
  for (const [i, name] of names.entries())
    sites.push(
      await svc.data.sites.create(
        siteInputSchema.parse({
          name,
          kind: 'district_office',
          technician: { name: `Kỹ thuật viên ${i + 1}`, phone: '0912345678' },
        }),
        system,
      ),
    );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await svc.data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến – kiểm tra kỹ thuật',
      organizer: 'Sở GD&ĐT',
      opensAt: iso(now + 86_400_000),
      closesAt: iso(now + 86_400_000 + 3600_000),
      // Already passed: scheduling opens the check window at once.
      checkAt: iso(now - 60_000),
      mainSite: { siteId: main.id },
      sites: sites.map((s) => ({ siteId: s.id, expectedCount: 15 })),
    }),
    system,
  );
  const meeting = await svc.data.meetings.transition(created.id, 'schedule', system);
  const link = async (siteId: string) =>
    `${svc.url}/join/${(await svc.data.access.issueLink(meeting.id, { role: 'technician', siteId }, system)).token}`;

  const launch = async (executablePath: string, video: string): Promise<Browser> => {
    const b = await chromium.launch({
      executablePath,
      headless: true,
      args: [...chromiumFlags, `--use-file-for-fake-video-capture=${video}`],
    });
    t.teardown(() => b.close());
    return b;
  };
  const browser = await launch(
    process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    noiseVideo(t, 640, 360, 15),
  );
  const open = async (b: Browser, url: string, name: string): Promise<Page> => {
    const context = await b.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'vi-VN',
      timezoneId: 'Asia/Ho_Chi_Minh',
    });
    t.teardown(() => context.close().catch(() => {}));
    const page = await context.newPage();
    page.on('pageerror', (err) => process.stderr.write(`[${name}] page error: ${err.message}\n`));
    // A starved browser loads slowly.
    await page.goto(url, { timeout: 120_000 });
    return page;
  };
  /** The page checks by itself in the open window; waits for its verdict and shoots it. */
  const checked = async (page: Page, name: string) => {
    const result = page.getByTestId('check-result');
    try {
      await result.waitFor({ timeout: 200_000 });
    } catch (err) {
      // What the page shows instead (an error, a step it hangs in, the queue): for the report.
      await page
        .screenshot({ path: artifactPath(`check-technician-${name}-stuck.png`), fullPage: true })
        .catch(() => {});
      const shown = await page
        .getByTestId('check')
        .textContent()
        .catch(() => '');
      throw new Error(`${name}: no check result; the check card shows: ${shown}`, {
        cause: err,
      });
    }
    // The raw figures are one click away: open them for the picture.
    await page
      .getByTestId('check')
      .locator('details')
      .first()
      .click({ position: { x: 10, y: 8 } });
    await page.getByTestId('check').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath(`check-technician-${name}.png`), fullPage: true });
    // The check card alone: the verdict, grade and reasons, small enough to keep as evidence.
    await page
      .getByTestId('check')
      .screenshot({ path: artifactPath(`check-technician-${name}-card.png`) });
    return {
      grade: await page.getByTestId('check-score').getAttribute('data-grade'),
      verdict: await result.getAttribute('data-verdict'),
      text: (await result.textContent()) ?? '',
      causes: await page
        .locator('[data-testid="check-reasons"] [data-cause]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-cause'))),
    };
  };

  relay.set({ up: { delayMs: 0, lossPercent: 0 }, down: { delayMs: 0, lossPercent: 0 } });
  const healthy = await checked(
    await open(browser, await link(sites[0]!.id), 'healthy'),
    'healthy',
  );
  t.comment(`healthy: ${healthy.verdict}, grade ${healthy.grade}: ${healthy.text}`);
  t.equal(healthy.verdict, 'pass', 'healthy site ready');
  t.equal(healthy.grade, 'good', 'graded good');
  t.match(healthy.text, /đủ cho 720p/);

  relay.set({ up: { delayMs: 110, lossPercent: 5 }, down: { delayMs: 110, lossPercent: 5 } });
  const lossy = await checked(
    await open(browser, await link(sites[1]!.id), 'bad-link'),
    'bad-link',
  );
  relay.set({ up: { delayMs: 0, lossPercent: 0 }, down: { delayMs: 0, lossPercent: 0 } });
  t.comment(`bad link: ${lossy.verdict}, grade ${lossy.grade}: ${lossy.text}`);
  // 5 % is a warning; on a loaded machine the relay's own delays can push loss past the fail line.
  t.not(lossy.verdict, 'pass', `bad link: ${lossy.verdict}`);
  t.not(lossy.grade, 'good', 'not graded good');
  t.ok(lossy.causes.includes('link'), 'the link named');

  const dir = tempDir(t, 'diemcau-starved-');
  const launcher = join(dir, 'chromium-starved');
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      'echo 5 > /proc/$$/autogroup 2>/dev/null',
      `exec taskset -c 1 nice -n 5 ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  // A 720p camera on the starved computer: more to encode than it can.
  const starvedBrowser = await launch(launcher, noiseVideo(t, 1280, 720, 15));
  const busy: ChildProcess = busyLoop('1');
  t.teardown(() => void busy.kill('SIGKILL'));
  let starved: Awaited<ReturnType<typeof checked>>;
  try {
    starved = await checked(
      await open(starvedBrowser, await link(sites[2]!.id), 'starved'),
      'cpu-starved',
    );
  } finally {
    busy.kill('SIGKILL');
  }
  t.comment(`starved: ${starved.verdict}, grade ${starved.grade}: ${starved.text}`);
  t.ok(starved.causes.includes('computer'), 'the computer named');
  t.match(starved.text, /Máy tính xử lý không kịp/);
  t.notMatch(starved.text, /Băng thông gửi đi \d+ kbps, cần/, 'no bandwidth failure');

  const it = await open(browser, `${svc.url}/`, 'it');
  await it.getByLabel('Tên đăng nhập').fill(ADMIN.username);
  await it.getByLabel('Mật khẩu').fill(ADMIN.password);
  await it.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await it.getByRole('heading', { name: 'Hội nghị', exact: true }).waitFor();
  await it.goto(`${svc.url}/admin/meetings/${meeting.id}`);
  await waitFor(
    async () => (await it.getByTestId('readiness-row').count()) === 3,
    20_000,
    'three rows on the board',
  );
  // One row's figures opened, as IT would to see why.
  await it
    .getByTestId('readiness-row')
    .nth(2)
    .locator('details summary')
    .click()
    .catch(() => {});
  await it.getByTestId('readiness').scrollIntoViewIfNeeded();
  await it.screenshot({ path: artifactPath('check-it-board.png'), fullPage: true });
  await it
    .getByTestId('readiness')
    .screenshot({ path: artifactPath('check-it-board-readiness.png') });
  const board = (await it.getByTestId('readiness').textContent()) ?? '';
  t.match(board, /Máy tính xử lý không kịp/, 'the board names the computer');
  t.match(board, /Mất gói/, 'and the loss');
});
