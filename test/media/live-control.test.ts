// runs alone: it judges timing that a second file beside it would skew on 2 cores.
import { io } from 'socket.io-client';
import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { vietnamDate, vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { launchChromium, openPage, waitFor } from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint } from '../helpers/endpoints.js';
import { startTestService } from '../helpers/service.js';

/*
 * IT's actions reach a live session (real Service, real pages and MeetingClient in Chromium,
 * real SFU): a site added during the session joins and takes the floor; a revoked technician
 * link closes that page and cannot come back; IT ending the meeting from HTTP ends it on every
 * page within 2 s and leaves no router; cancelling during the check window does the same.
 */

const system: Actor = { kind: 'system', name: 'test' };
const ADMIN = { username: 'it.control', password: 'mat-khau-rat-dai-2026' };
t.test('IT actions reach the live session', async (t) => {
  t.setTimeout(240_000);
  const svc = await startTestService(t, { name: 'control' });
  const base = svc.url;
  const { data } = svc;
  await data.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(ADMIN),
  });
  const cookie = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('diemcau_session='))!
    .split(';')[0]!;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        cookie,
        origin: base,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const main = await data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const names = ['Phòng GD&ĐT Đà Bắc', 'Phòng GD&ĐT Mai Châu', 'Phòng GD&ĐT Lạc Sơn', 'Xã Tân Lạc'];
  const sites = [];
  for (const name of names)
    sites.push(
      await data.sites.create(siteInputSchema.parse({ name, kind: 'district_office' }), system),
    );
  const meetingOn = async (daysAhead: number, siteIds: string[]) => {
    const day = vietnamParts(Date.now() + daysAhead * 86_400_000);
    const input = meetingInputSchema.parse(
      hoaBinhBriefing({
        year: day.year,
        month: day.month,
        day: day.day,
        letterDate: vietnamDate(Date.now()),
        mainSiteId: main.id,
        districtSiteIds: siteIds,
      }),
    );
    const created = await data.meetings.create(input, system);
    const meeting = await data.meetings.transition(created.id, 'schedule', system);
    const links = await data.access.issueMissingLinks(meeting.id, system);
    const token = (role: string, siteId?: string) =>
      links.find((l) => l.link.role === role && l.link.siteId === siteId)!;
    return { meeting, token, input };
  };

  const browser = await launchChromium(t);
  const [a, b, c, d] = sites.map((s) => s.id) as [string, string, string, string];

  await t.test('a live meeting: added site, revoked link, IT ends it', async (t) => {
    const { meeting, token, input } = await meetingOn(3, [a, b, c]);
    const station = await startEndpoint(browser, base, 'station', {
      token: token('station').token,
      camera: { width: 320, height: 180 },
      microphone: true,
    });
    const sa = await startEndpoint(browser, base, 'site-a', {
      token: token('technician', a).token,
      send: false,
    });
    const sb = await startEndpoint(browser, base, 'site-b', {
      token: token('technician', b).token,
      send: false,
    });
    // Site c is the real technician page.
    const { page: pc } = await openPage(
      browser,
      `${base}/join/${token('technician', c).token}`,
      'site-c',
    );
    const session = () => svc.signaling.session(meeting.id)!;
    await waitFor(
      () => session()?.participant(`site:${c}`)?.online,
      15_000,
      'site c page connected',
    );

    const goLive = await admin('POST', `/api/meetings/${meeting.id}/actions/goLive`, {});
    t.equal(goLive.status, 200, 'IT puts the meeting live through the session');
    t.equal(session().state.status, 'live', 'the session is live');
    for (const s of [sa, sb])
      await waitFor(
        async () => (await s.received('station', 'camera')).framesDecoded > 0,
        10_000,
        `${s.name} decodes the main point`,
      );
    t.pass('the sites decode the main point');

    // A site added while the session is open joins and is given the floor.
    const current = await admin('GET', `/api/meetings/${meeting.id}`);
    const put = await admin('PUT', `/api/meetings/${meeting.id}`, {
      ...input,
      sites: [...input.sites, { siteId: d }],
      version: current.body.version,
    });
    t.equal(put.status, 200, 'IT adds a site to the live meeting');
    const issued = await admin('POST', `/api/meetings/${meeting.id}/links`, {
      role: 'technician',
      siteId: d,
    });
    t.equal(issued.status, 201, 'and issues its link');
    const sd = await startEndpoint(browser, base, 'site-d', {
      token: issued.body.token as string,
      camera: { width: 320, height: 180 },
      microphone: true,
    });
    const chair = io(base, { auth: { token: token('chair').token }, transports: ['websocket'] });
    t.teardown(() => void chair.close());
    const granted = (await chair.timeout(10_000).emitWithAck('grantFloor', { siteId: d })) as {
      ok: boolean;
    };
    t.ok(granted.ok, 'the chair gives the floor to the added site');
    for (const s of [sa, sb])
      await waitFor(
        async () => (await s.received(`site:${d}`, 'camera')).framesDecoded > 0,
        10_000,
        `${s.name} decodes site d`,
      );
    t.pass('the other sites decode the added site');

    // A technician sees itself, the main point, the chair and the floor site, not other sites'
    // hands, mutes or figures (liveDataRules.ts, wired into the session).
    t.ok((await sb.request('raiseHand')) !== undefined, 'site b raises its hand');
    await chair.timeout(10_000).emitWithAck('muteSite', { siteId: b });
    type Seen = {
      participants: { endpointId: string; quality?: unknown }[];
      hand: string[];
      position?: number;
    };
    const seen = (e: HarnessEndpoint) =>
      e.page.evaluate(() => {
        const c = window.harness.client()!;
        return {
          participants: c.participants.map((p) => ({
            endpointId: p.endpointId,
            quality: p.quality,
          })),
          hand: c.session?.handQueue ?? [],
          position: c.session?.handPosition,
        };
      }) as Promise<Seen>;
    await waitFor(async () => (await seen(sb)).position === 1, 3000, 'site b told its place');
    const aSees = await seen(sa);
    t.same(
      aSees.participants.map((p) => p.endpointId).sort(),
      ['chair', `site:${a}`, `site:${d}`, 'station'].sort(),
      'site a sees itself, the main point, the chair and the floor site only',
    );
    t.same(aSees.hand, [], 'site a does not see site b in the hand queue');
    t.ok(
      aSees.participants.every((p) => p.endpointId === `site:${a}` || p.quality === undefined),
      'nor anyone else’s connection figures',
    );
    const bSees = await seen(sb);
    t.same(bSees.hand, [b], 'site b sees its own hand');
    const chairSees = (await chair.timeout(10_000).emitWithAck('join', {})) as {
      data: { participants: { endpointId: string }[]; session: { handQueue: string[] } };
    };
    t.ok(chairSees.data.participants.length >= 5, 'the chair sees everyone');
    t.same(chairSees.data.session.handQueue, [b], 'and the hand queue');

    // A renamed site is renamed on the chair's page at once.
    const renamed = new Promise<number>((ok) => {
      const since = Date.now();
      chair.on('participantsUpdated', ({ participants }: { participants: { name: string }[] }) => {
        if (participants.some((p) => p.name === 'Phòng GD&ĐT Mai Châu (mới)'))
          ok(Date.now() - since);
      });
    });
    const siteB = await admin('GET', `/api/sites/${b}`);
    const { id: _id, version, createdAt: _c, updatedAt: _u, ...siteInput } = siteB.body;
    t.equal(
      (
        await admin('PUT', `/api/sites/${b}`, {
          ...siteInput,
          name: 'Phòng GD&ĐT Mai Châu (mới)',
          version,
        })
      ).status,
      200,
    );
    t.ok((await renamed) < 1000, 'the chair sees the new name within a second');

    // An IT socket opened with a login ends when that login is logged out.
    const second = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify(ADMIN),
    });
    const itCookie = second.headers
      .getSetCookie()
      .find((c) => c.startsWith('diemcau_session='))!
      .split(';')[0]!;
    const itSocket = io(base, {
      auth: { meetingId: meeting.id },
      extraHeaders: { cookie: itCookie, origin: base },
      transports: ['websocket'],
      reconnection: false,
    });
    t.teardown(() => void itSocket.close());
    await waitFor(() => itSocket.connected, 5000, 'IT socket connected');
    const loggedOut = new Promise<{ vi: string; en: string }>((ok) =>
      itSocket.on('accessRevoked', ({ reason }) => ok(reason)),
    );
    await fetch(`${base}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: itCookie, origin: base },
    });
    t.match(
      await loggedOut,
      { vi: /Phiên đăng nhập đã kết thúc/, en: /Your login has ended/ },
      'logging out closes that login’s socket',
    );
    await waitFor(() => !itSocket.connected, 2000, 'IT socket closed');

    // Revoking a connected technician's link closes that page with the reason.
    const links = await admin('GET', `/api/meetings/${meeting.id}/links`);
    const cLink = (links.body.links as { id: string; siteId?: string; revokedAt?: string }[]).find(
      (l) => l.siteId === c && !l.revokedAt,
    )!;
    const revokedAt = Date.now();
    t.equal((await admin('DELETE', `/api/meetings/${meeting.id}/links/${cLink.id}`)).status, 200);
    await pc.getByTestId('revoked-banner').waitFor({ timeout: 2000 });
    t.pass(`the page shows the revoked message after ${Date.now() - revokedAt} ms`);
    t.notOk(session().participant(`site:${c}`)?.online, 'site c is offline');
    const again = io(base, {
      auth: { token: token('technician', c).token },
      transports: ['websocket'],
      reconnection: false,
    });
    const refused = await new Promise<string>((ok) => {
      again.on('connect', () => ok('connected'));
      again.on('connect_error', (err: Error & { data?: { code: string } }) =>
        ok(err.data?.code ?? err.message),
      );
    });
    again.close();
    t.equal(refused, 'unauthorized', 'its reconnection is refused');

    // IT ends the meeting: every page is told within 2 s, the media is gone.
    const room = session().room;
    const endedAt = Date.now();
    const end = await admin('POST', `/api/meetings/${meeting.id}/actions/end`, {});
    t.equal(end.status, 200);
    t.equal(end.body.state, 'ended', 'stored as ended');
    for (const s of [sa, sb, sd]) await waitForEnded(s, 2000);
    t.pass(`every site was told within ${Date.now() - endedAt} ms`);
    t.ok(room.isClosed, 'the room is closed');
    for (const s of [sa, sb])
      t.notOk((await s.received('station', 'camera')).present, `${s.name} has no consumer left`);
    await waitFor(() => svc.signaling.session(meeting.id) === undefined, 3000, 'session gone');
    for (const w of svc.pool.workers)
      t.equal((await w.worker.dump()).routerIds.length, 0, `worker ${w.index} has no router left`);
    for (const s of [station, sa, sb, sd]) await s.close();
  });

  await t.test('cancel during the check window ends the session on every page', async (t) => {
    const { meeting, token } = await meetingOn(5, [a, b]);
    t.equal(
      (await admin('POST', `/api/meetings/${meeting.id}/actions/startCheck`, {})).status,
      200,
    );
    // The station's page on a fresh session publishes at once (its first join is not lost).
    const opened = Date.now();
    await openPage(browser, `${base}/join/${token('station').token}`, 'station-2');
    await waitFor(
      () =>
        [
          ...(svc.signaling
            .session(meeting.id)
            ?.participant('station')
            ?.media?.producers.values() ?? []),
        ].some((p) => p.appData.source === 'camera'),
      10_000,
      'station publishing',
    );
    const publishMs = Date.now() - opened;
    // The bound leaves room for the page's own load on two shared cores (2.7 s seen under load);
    // a lost first join only recovers through a reconnect, seconds later.
    t.ok(publishMs < 5000, `the station page publishes ${publishMs} ms after opening`);
    const sa = await startEndpoint(browser, base, 'check-a', {
      token: token('technician', a).token,
      send: false,
    });
    const { page: pb } = await openPage(
      browser,
      `${base}/join/${token('technician', b).token}`,
      'check-b',
    );
    await waitFor(
      () => svc.signaling.session(meeting.id)?.participant(`site:${b}`)?.online,
      15_000,
      'page b connected',
    );
    const room = svc.signaling.session(meeting.id)!.room;
    const at = Date.now();
    const cancel = await admin('POST', `/api/meetings/${meeting.id}/actions/cancel`, {});
    t.equal(cancel.status, 200);
    t.equal(cancel.body.state, 'cancelled');
    await waitForEnded(sa, 2000);
    await pb
      .locator('[data-testid="ended-banner"], [data-testid="not-open"]')
      .first()
      .waitFor({ timeout: 2000 });
    t.pass(`both pages show it within ${Date.now() - at} ms`);
    t.ok(room.isClosed, 'the room is closed');
    for (const w of svc.pool.workers)
      t.equal((await w.worker.dump()).routerIds.length, 0, `worker ${w.index} has no router left`);
    await sa.close();
  });
});

async function waitForEnded(s: HarnessEndpoint, ms: number): Promise<void> {
  await waitFor(
    async () => (await s.log()).some((l) => l.startsWith('ended:')),
    ms,
    `${s.name} told it ended`,
  );
}
