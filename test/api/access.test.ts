import t, { type Test } from 'tap';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting, MeetingInput } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import {
  ADMIN,
  buildTestApi,
  createHoaBinhSites,
  login,
  PUBLIC_URL,
  type TestApi,
} from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

const redis = await startTestRedis(t);

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

function asAdmin(api: TestApi, method: Method, url: string, payload?: unknown) {
  return api.app.inject({
    method,
    url,
    headers: { cookie: api.adminCookie },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

function withToken(api: TestApi, token: string, method: Method, url: string, payload?: unknown) {
  return api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

function briefingIn(daysAhead: number, main: Site, districts: Site[]): MeetingInput {
  const d = vietnamParts(Date.now() + daysAhead * 86_400_000);
  return hoaBinhBriefing({
    year: d.year,
    month: d.month,
    day: d.day,
    letterDate: '2011-10-21',
    mainSiteId: main.id,
    districtSiteIds: districts.map((s) => s.id),
  });
}

interface Fixture {
  api: TestApi;
  main: Site;
  districts: Site[];
  meeting: Meeting;
  links: IssuedLink[];
  chair: string;
  station: string;
  /** Technician tokens by site index. */
  tech: string[];
}

async function fixture(
  t: Test,
  options: Parameters<typeof buildTestApi>[2] = {},
): Promise<Fixture> {
  const api = await buildTestApi(t, redis.url, options);
  const { main, districts } = await createHoaBinhSites(api);
  const meeting: Meeting = (
    await asAdmin(api, 'POST', '/api/meetings', briefingIn(10, main, districts))
  ).json();
  await asAdmin(api, 'POST', `/api/meetings/${meeting.id}/actions/schedule`);
  const res = await asAdmin(api, 'POST', `/api/meetings/${meeting.id}/links/missing`);
  const links = res.json().issued as IssuedLink[];
  const tokenOf = (role: string, siteId?: string) =>
    links.find((l) => l.link.role === role && l.link.siteId === siteId)!.token;
  return {
    api,
    main,
    districts,
    meeting,
    links,
    chair: tokenOf('chair'),
    station: tokenOf('station'),
    tech: districts.map((d) => tokenOf('technician', d.id)),
  };
}

t.test('login sets a secure session cookie; logout ends it', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const res = await api.app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
  t.equal(res.statusCode, 200);
  t.equal(res.json().principal.kind, 'admin');
  t.equal(res.json().principal.username, 'admin');
  const cookie = res.cookies.find((c) => c.name === 'diemcau_session')!;
  t.ok(cookie.httpOnly, 'httpOnly');
  t.equal(cookie.sameSite, 'Lax');
  t.ok(cookie.secure, 'Secure (public URL is https)');
  t.equal(cookie.path, '/');
  t.equal(cookie.maxAge, 12 * 3600);
  t.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
  const stored = await api.redis.keys(`${api.prefix}session:*`);
  t.ok(stored.length >= 1, 'session stored in Redis');
  t.notOk(
    stored.some((k) => k.includes(cookie.value)),
    'keyed by hash, not the cookie',
  );
  t.ok((await api.redis.ttl(stored[0]!)) > 0, 'with an expiry');

  const me = await api.app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers: { cookie: `diemcau_session=${cookie.value}` },
  });
  t.equal(me.statusCode, 200);
  t.equal(me.json().principal.username, 'admin');
  t.ok(me.json().expiresAt);

  const wrong = await api.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { ...ADMIN, password: 'sai-mat-khau-roi' },
  });
  t.equal(wrong.statusCode, 401);
  t.same(wrong.json().message, {
    vi: 'Sai tên đăng nhập hoặc mật khẩu',
    en: 'Wrong username or password',
  });
  const nobody = await api.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'khong-co', password: 'x' },
  });
  t.equal(nobody.statusCode, 401);
  t.equal(nobody.json().message.vi, wrong.json().message.vi, 'same answer for unknown user');
  const bad = await api.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'a b', password: '' },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message.vi, /body\.username: Tên đăng nhập/);
  t.match(bad.json().message.vi, /body\.password: Mật khẩu không được để trống/);

  const out = await api.app.inject({
    method: 'POST',
    url: '/api/auth/logout',
    headers: { cookie: `diemcau_session=${cookie.value}` },
  });
  t.equal(out.statusCode, 200);
  t.equal(out.cookies.find((c) => c.name === 'diemcau_session')?.value, '');
  const after = await api.app.inject({
    method: 'GET',
    url: '/api/sites',
    headers: { cookie: `diemcau_session=${cookie.value}` },
  });
  t.equal(after.statusCode, 401, 'the session is gone');
  const anon = await api.app.inject({ method: 'GET', url: '/api/meetings' });
  t.equal(anon.statusCode, 401);
  t.match(anon.json().message.vi, /Cần đăng nhập/);
});

t.test('login is rate-limited', async (t) => {
  const api = await buildTestApi(t, redis.url, { limits: { loginMax: 3, loginWindowMs: 60_000 } });
  const attempt = () =>
    api.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { ...ADMIN, password: 'doan-mo-mat-khau' },
    });
  // buildTestApi already logged in once.
  t.equal((await attempt()).statusCode, 401);
  t.equal((await attempt()).statusCode, 401);
  const limited = await attempt();
  t.equal(limited.statusCode, 429);
  t.equal(limited.json().code, 'rate_limited');
  t.match(limited.json().message.vi, /Quá nhiều yêu cầu/);
  t.ok(limited.headers['retry-after']);
  const right = await api.app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
  t.equal(right.statusCode, 429, 'even the right password waits');
});

t.test('join-link use is rate-limited', async (t) => {
  const f = await fixture(t, { limits: { requestMax: 40, requestWindowMs: 60_000 } });
  let status = 0;
  for (let i = 0; i < 45 && status !== 429; i++) {
    status = (await withToken(f.api, f.tech[0]!, 'GET', '/api/me/meeting')).statusCode;
  }
  t.equal(status, 429);
});

t.test('join links: stored hashed, issued once, listed without tokens', async (t) => {
  const f = await fixture(t);
  t.equal(f.links.length, 13, 'chair, station and 11 technicians');
  for (const l of f.links) {
    t.match(l.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    t.equal(l.url, `${PUBLIC_URL}/join/${l.token}`);
    t.equal(Date.parse(l.link.expiresAt), Date.parse(f.meeting.closesAt) + 6 * 3600_000);
  }
  const all = (await f.api.redis.keys(`${f.api.prefix}*`)).join('\n');
  const values = await Promise.all(
    (await f.api.redis.keys(`${f.api.prefix}link:*`)).map((k) => f.api.redis.get(k)),
  );
  for (const l of f.links) {
    t.notOk(all.includes(l.token) || values.some((v) => v?.includes(l.token)), 'token not stored');
  }
  const list = await asAdmin(f.api, 'GET', `/api/meetings/${f.meeting.id}/links`);
  t.equal(list.json().links.length, 13);
  t.notOk(list.body.includes(f.chair), 'no token in the list');
  t.notOk(list.body.includes('tokenHash'));
  const again = await asAdmin(f.api, 'POST', `/api/meetings/${f.meeting.id}/links/missing`);
  t.same(again.json().issued, [], 'nothing missing any more');
  const bad = await asAdmin(f.api, 'POST', `/api/meetings/${f.meeting.id}/links`, {
    role: 'technician',
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message.vi, /body\.siteId: Liên kết cán bộ kỹ thuật cần điểm cầu/);
  const foreign = await asAdmin(f.api, 'POST', `/api/meetings/${f.meeting.id}/links`, {
    role: 'technician',
    siteId: f.main.id,
  });
  t.equal(foreign.statusCode, 400);
  t.match(foreign.json().message.vi, /body\.siteId: Điểm cầu không tham dự hội nghị này/);
});

t.test('a technician sees only their own site and controls nothing', async (t) => {
  const f = await fixture(t);
  const token = f.tech[2]!; // Mai Châu
  const me = await withToken(f.api, token, 'GET', '/api/auth/me');
  t.same(me.json().principal, {
    kind: 'technician',
    meetingId: f.meeting.id,
    siteId: f.districts[2]!.id,
    tokenId: f.links.find((l) => l.token === token)!.link.id,
  });
  const view = await withToken(f.api, token, 'GET', '/api/me/meeting');
  t.equal(view.statusCode, 200);
  t.equal(view.json().sites.length, 1, 'only their own site');
  t.equal(view.json().sites[0].site.name, 'Mai Châu');
  t.equal(view.json().mainSite.site.name, 'Sở GD&ĐT Hòa Bình');
  t.notOk(
    view.body.includes(f.districts[3]!.name === 'Tân Lạc' ? '"name":"Tân Lạc"' : 'x'),
    'no other site record',
  );
  t.equal(view.json().checkAt, f.meeting.checkAt);

  const denied: [Method, string][] = [
    ['GET', `/api/meetings/${f.meeting.id}`],
    ['GET', '/api/meetings'],
    ['GET', '/api/sites'],
    ['GET', `/api/sites/${f.districts[3]!.id}`],
    ['GET', `/api/sites/${f.districts[2]!.id}`],
    ['PUT', `/api/meetings/${f.meeting.id}`],
    ['DELETE', `/api/meetings/${f.meeting.id}`],
    ['POST', `/api/meetings/${f.meeting.id}/actions/goLive`],
    ['POST', `/api/meetings/${f.meeting.id}/actions/startCheck`],
    ['POST', `/api/meetings/${f.meeting.id}/actions/cancel`],
    ['GET', `/api/meetings/${f.meeting.id}/links`],
    ['POST', `/api/meetings/${f.meeting.id}/links/missing`],
    ['GET', `/api/meetings/${f.meeting.id}/audit`],
  ];
  for (const [method, url] of denied) {
    const res = await withToken(f.api, token, method, url, method === 'PUT' ? {} : undefined);
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.equal(res.json().code, 'forbidden');
  }
  t.equal(
    (await withToken(f.api, token, 'GET', `/api/meetings/${f.meeting.id}/convocation`)).statusCode,
    200,
    'the letter addressed to them',
  );
  t.equal(
    (await withToken(f.api, token, 'GET', `/api/meetings/${f.meeting.id}/check.ics`)).statusCode,
    200,
  );
  t.equal((await f.api.services.meetings.get(f.meeting.id)).state, 'scheduled', 'nothing changed');

  // Another meeting: out of scope entirely.
  const other: Meeting = (
    await asAdmin(f.api, 'POST', '/api/meetings', {
      ...briefingIn(30, f.main, f.districts),
      title: 'Hội nghị khác',
    })
  ).json();
  for (const url of [
    `/api/meetings/${other.id}/convocation`,
    `/api/meetings/${other.id}/meeting.ics`,
  ]) {
    t.equal((await withToken(f.api, token, 'GET', url)).statusCode, 403, url);
  }
});

t.test('chair and station: their meeting, their actions only', async (t) => {
  const f = await fixture(t);
  const chairView = await withToken(f.api, f.chair, 'GET', '/api/me/meeting');
  t.equal(chairView.json().sites.length, 11, 'the chair sees every site');
  t.equal(
    (await withToken(f.api, f.chair, 'GET', `/api/meetings/${f.meeting.id}`)).statusCode,
    200,
  );
  t.equal((await withToken(f.api, f.chair, 'GET', '/api/sites')).statusCode, 403);
  t.equal(
    (await withToken(f.api, f.chair, 'POST', `/api/meetings/${f.meeting.id}/actions/cancel`))
      .statusCode,
    403,
  );
  t.equal(
    (await withToken(f.api, f.chair, 'POST', `/api/meetings/${f.meeting.id}/actions/startCheck`))
      .statusCode,
    403,
  );
  const check = await withToken(
    f.api,
    f.station,
    'POST',
    `/api/meetings/${f.meeting.id}/actions/startCheck`,
  );
  t.equal(check.json().state, 'checking', 'the station runs the check');
  t.equal(
    (await withToken(f.api, f.station, 'POST', `/api/meetings/${f.meeting.id}/actions/goLive`))
      .statusCode,
    403,
  );
  const live = await withToken(
    f.api,
    f.chair,
    'POST',
    `/api/meetings/${f.meeting.id}/actions/goLive`,
  );
  t.equal(live.json().state, 'live');
  const entries = (
    await asAdmin(f.api, 'GET', `/api/meetings/${f.meeting.id}/audit?limit=2`)
  ).json().entries;
  t.equal(entries[0].action, 'meeting.goLive');
  t.equal(entries[0].actor.kind, 'chair');
  t.equal(entries[1].actor.kind, 'station');
  t.equal(
    (await withToken(f.api, f.chair, 'POST', `/api/meetings/${f.meeting.id}/actions/end`)).json()
      .state,
    'ended',
  );
});

t.test('revoked, re-issued, expired and malformed tokens are refused', async (t) => {
  let now = Date.now();
  const f = await fixture(t, { now: () => now });
  const link = f.links.find((l) => l.token === f.tech[0])!;
  t.equal((await withToken(f.api, f.tech[0]!, 'GET', '/api/me/meeting')).statusCode, 200);

  const reissued = await asAdmin(
    f.api,
    'POST',
    `/api/meetings/${f.meeting.id}/links/${link.link.id}/reissue`,
  );
  t.equal(reissued.statusCode, 201);
  t.equal(reissued.json().link.siteId, link.link.siteId);
  const old = await withToken(f.api, f.tech[0]!, 'GET', '/api/me/meeting');
  t.equal(old.statusCode, 401);
  t.match(old.json().message, {
    vi: /thu hồi; hãy dùng liên kết mới/,
    en: /This link was revoked/,
  });
  const fresh = reissued.json().token as string;
  t.equal((await withToken(f.api, fresh, 'GET', '/api/me/meeting')).statusCode, 200);

  const revoke = await asAdmin(
    f.api,
    'DELETE',
    `/api/meetings/${f.meeting.id}/links/${reissued.json().link.id}`,
  );
  t.equal(revoke.statusCode, 200);
  t.ok(revoke.json().revokedAt);
  t.equal((await withToken(f.api, fresh, 'GET', '/api/me/meeting')).statusCode, 401);
  t.equal(
    await f.api.services.access.authenticate(fresh).catch((e: { status: number }) => e.status),
    401,
    'the signaling entry point agrees',
  );

  t.equal((await withToken(f.api, 'x'.repeat(43), 'GET', '/api/me/meeting')).statusCode, 401);
  t.equal((await withToken(f.api, 'short', 'GET', '/api/me/meeting')).statusCode, 401);
  const malformed = await f.api.app.inject({
    method: 'GET',
    url: '/api/me/meeting',
    headers: { authorization: 'Basic abc' },
  });
  t.equal(malformed.statusCode, 401);
  const both = await f.api.app.inject({
    method: 'GET',
    url: '/api/meetings',
    headers: { authorization: 'Bearer nope', cookie: f.api.adminCookie },
  });
  t.equal(both.statusCode, 401, 'a bad bearer token never falls back to the cookie');

  // Removing the site from the meeting ends its technician's access.
  const current = await f.api.services.meetings.get(f.meeting.id);
  const {
    id: _id,
    version,
    state: _s,
    checkAtDefault: _d,
    attachments: _a,
    createdAt: _c,
    updatedAt: _u,
    ...content
  } = current;
  const withoutLast = {
    ...content,
    sites: content.sites.slice(0, -1),
    agenda: content.agenda.filter((a) => a.siteId !== f.districts[10]!.id),
    version,
  };
  const edited = await asAdmin(f.api, 'PUT', `/api/meetings/${f.meeting.id}`, withoutLast);
  t.equal(edited.statusCode, 200, edited.body);
  const gone = await withToken(f.api, f.tech[10]!, 'GET', '/api/me/meeting');
  t.equal(gone.statusCode, 401);
  t.match(gone.json().message.vi, /không còn tham dự/);

  // After closing + 6 h the links expire.
  now = Date.parse(f.meeting.closesAt) + 6 * 3600_000 + 1000;
  const expired = await withToken(f.api, f.chair, 'GET', '/api/me/meeting');
  t.equal(expired.statusCode, 401);
  t.match(expired.json().message, { vi: /hết hạn/, en: /This link has expired/ });
});

t.test('a second admin logs in with their own account', async (t) => {
  const api = await buildTestApi(t, redis.url);
  await api.services.access.accounts.createUser('Hoa.NT', 'mat-khau-cua-hoa', { kind: 'system' });
  const cookie = await login(api.app, { username: 'hoa.nt', password: 'mat-khau-cua-hoa' });
  const me = await api.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
  t.equal(me.json().principal.username, 'hoa.nt');
  const status = (p: Promise<unknown>) =>
    p.then(
      () => 0,
      (e: { status: number }) => e.status,
    );
  t.equal(
    await status(
      api.services.access.accounts.createUser('hoa.nt', 'mat-khau-khac-nua', { kind: 'system' }),
    ),
    409,
  );
  t.equal(
    await status(api.services.access.accounts.createUser('x', 'ngan', { kind: 'system' })),
    400,
  );
});
