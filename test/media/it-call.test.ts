// runs alone: it judges timing that a second file beside it would skew on 2 cores.
import t from 'tap';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { startMediaStack } from '../helpers/mediaStack.js';

// The technical rehearsal as it is done today: IT staff at the main point call one site, see and
// hear its technician and talk back; the other sites hear nothing of it.
const meetingId = 'm-itcall';
const small = { width: 320, height: 180 };

t.test('IT staff open a two-way call with one site', async (t) => {
  const stack = await startMediaStack(t, {
    tokens: {
      it: { role: 'it', meetingId, userId: 'u1', name: 'Tổ CNTT' },
      s1: { role: 'site', meetingId, siteId: 's1', name: 'Phòng GD&ĐT Lạc Sơn' },
      s2: { role: 'site', meetingId, siteId: 's2', name: 'Phòng GD&ĐT Yên Thủy' },
      chair: { role: 'chair', meetingId, name: 'Chủ trì' },
    },
  });
  const browser = await launchChromium(t);
  const it = await startEndpoint(browser, stack.url, 'it', {
    token: 'it',
    camera: small,
    microphone: true,
  });
  const s1 = await startEndpoint(browser, stack.url, 's1', {
    token: 's1',
    camera: small,
    microphone: true,
  });
  const s2 = await startEndpoint(browser, stack.url, 's2', {
    token: 's2',
    camera: small,
    microphone: true,
  });

  await t.rejects(
    s1.request('startItCall', { siteId: 's2' }),
    { code: 'forbidden' },
    'a site cannot open the call',
  );
  await it.request('startItCall', { siteId: 's1' });
  await waitForMedia(s1, 'it:u1', 'camera', 10_000);
  await waitForMedia(s1, 'it:u1', 'microphone', 10_000);
  t.pass('the site sees and hears IT');
  await waitForMedia(it, 'site:s1', 'camera', 10_000);
  await waitForMedia(it, 'site:s1', 'microphone', 10_000);
  t.pass('IT sees and hears the site');
  t.notOk(
    (await s2.received('it:u1', 'microphone')).present,
    'another site does not hear the call',
  );

  await it.request('endItCall');
  await waitFor(
    async () => !(await s1.received('it:u1', 'camera')).present,
    5000,
    'call media stopped',
  );
  t.pass('ending the call stops IT media at the site');

  // Going live ends a call that is still running, and the chair is told: never silently.
  await it.request('startItCall', { siteId: 's1' });
  await waitForMedia(s1, 'it:u1', 'camera', 10_000);
  const chair = await startEndpoint(browser, stack.url, 'chair', { token: 'chair', send: false });
  const before = (await chair.page.evaluate(() => window.harness.client()!.session)) as {
    itCallSiteId?: string;
  };
  t.equal(before.itCallSiteId, 's1', 'the chair sees the call before starting');
  const live = (await chair.request('startSession')) as { itCallSiteId?: string; status: string };
  t.equal(live.status, 'live');
  t.equal(live.itCallSiteId, undefined, 'going live ended the call');
  await waitFor(
    async () => !(await s1.received('it:u1', 'camera')).present,
    5000,
    'call media stopped at go-live',
  );
  t.pass('IT media stops at the site when the session goes live');
});
