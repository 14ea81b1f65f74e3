import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { artifactPath, launchChromium, openPage, waitFor } from '../helpers/browser.js';
import { startTestService } from '../helpers/service.js';

/*
 * The waiting state in the pages, for real (Chromium with fake devices, the whole service): one
 * check at a time, another site holds the slot, so the technician's page shows its place and
 * expected wait while its devices and checklist stay usable, and the IT board shows the
 * window's progress. When the slot frees, the page runs its check by itself.
 * Screenshots: test-artifacts/check-waiting-technician.png, check-waiting-board.png.
 */

const ADMIN = { username: 'it.waves', password: 'mat-khau-rat-dai-2026-waves' };
const system: Actor = { kind: 'admin', id: 'test', name: 'test' };

t.test('a waiting technician sees its place and can still use its devices', async (t) => {
  t.setTimeout(120_000);
  const svc = await startTestService(t, {
    name: 'check-waiting',
    // One at a time; a check is expected to take 4 minutes (until one finished).
    env: { CHECK_MAX_CONCURRENT: '1', CHECK_EXPECTED_SECONDS: '240' },
  });
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 'test',
  });
  const main = await svc.data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const [a, b] = [
    await svc.data.sites.create(
      siteInputSchema.parse({ name: 'Phòng GD&ĐT Đà Bắc', kind: 'district_office' }),
      system,
    ),
    await svc.data.sites.create(
      siteInputSchema.parse({ name: 'Trường THCS Tân Lạc', kind: 'school' }),
      system,
    ),
  ];
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await svc.data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến – kiểm tra theo lượt',
      organizer: 'Sở GD&ĐT',
      opensAt: iso(now + 86_400_000),
      closesAt: iso(now + 86_400_000 + 3600_000),
      // Already passed: scheduling opens the check window at once.
      checkAt: iso(now - 60_000),
      mainSite: { siteId: main.id },
      sites: [a!, b!].map((s) => ({ siteId: s.id, expectedCount: 15 })),
    }),
    system,
  );
  const meeting = await svc.data.meetings.transition(created.id, 'schedule', system);
  const token = async (siteId: string) =>
    (await svc.data.access.issueLink(meeting.id, { role: 'technician', siteId }, system)).token;
  const queueKey = `${svc.data.store.keys.meeting(meeting.id)}:check-queue:meta`;
  await waitFor(
    async () => (await svc.data.store.redis.exists(queueKey)) === 1,
    20_000,
    'the window opened in waves',
  );

  // Site A connects first and takes the only slot (it never starts: its page is elsewhere).
  const holder: Socket = io(svc.url, {
    auth: { token: await token(a!.id) },
    transports: ['websocket'],
    reconnection: false,
  });
  t.teardown(() => void holder.close());
  const called = new Promise<void>((ok) => holder.once('checkRequested', () => ok()));
  await new Promise<void>((ok, fail) => {
    holder.once('connect', () => holder.emit('join', {}, () => ok()));
    holder.once('connect_error', fail);
  });
  await called;

  const browser = await launchChromium(t);
  const { page } = await openPage(browser, `${svc.url}/join/${await token(b!.id)}`, 'technician');
  const notice = page.getByTestId('check-queue');
  await notice.waitFor({ timeout: 30_000 });
  t.match(
    (await notice.textContent()) ?? '',
    /Đang chờ lượt kiểm tra: thứ 1, khoảng 4 phút/,
    'the place and the expected wait',
  );
  // Waiting blocks nothing: the devices and the checklist are there and usable.
  await page.getByTestId('devices').waitFor();
  // Enabled once the page's live connection is up, which may come just after the notice.
  t.ok(
    await waitFor(() => page.getByTestId('confirm-checklist').isEnabled(), 15_000, 'the checklist'),
    'the checklist can be confirmed',
  );
  t.equal(await page.getByTestId('check-step').count(), 0, 'no check running');
  await page.screenshot({ path: artifactPath('check-waiting-technician.png'), fullPage: true });

  // The IT board: the window's progress.
  const { page: it } = await openPage(browser, `${svc.url}/`, 'it');
  await it.getByLabel('Tên đăng nhập').fill(ADMIN.username);
  await it.getByLabel('Mật khẩu').fill(ADMIN.password);
  await it.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await it.getByRole('heading', { name: 'Hội nghị', exact: true }).waitFor();
  await it.goto(`${svc.url}/admin/meetings/${meeting.id}`);
  const progress = it.getByTestId('check-progress');
  await progress.waitFor({ timeout: 20_000 });
  t.match(await it.getByTestId('progress-checking').textContent(), /Đang kiểm tra: 1/);
  t.match(await it.getByTestId('progress-waiting').textContent(), /Đang chờ lượt: 1/);
  t.match((await progress.textContent()) ?? '', /Dự kiến xong lúc \d\d:\d\d/, 'the expected end');
  await progress.scrollIntoViewIfNeeded();
  await it.screenshot({ path: artifactPath('check-waiting-board.png'), fullPage: true });

  // The holder leaves: the slot goes to the waiting page, which checks by itself.
  holder.close();
  await page.getByTestId('check-step').waitFor({ timeout: 20_000 });
  t.equal(await notice.count(), 0, 'the waiting notice gives way to the check');
  await page.getByTestId('check-result').waitFor({ timeout: 60_000 });
  t.pass('the waiting site got its turn and a verdict');
});
