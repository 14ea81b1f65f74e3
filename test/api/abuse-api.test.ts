import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import t, { type Test } from 'tap';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting, MeetingView } from '../../protocol/meetings.js';
import type { ReportRequest } from '../../protocol/reports.js';
import type { Site } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import {
  hoaBinhBriefing,
  hoaBinhDistrictSites,
  hoaBinhMainSite,
} from '../../server/demo/hoaBinh.js';
import { seedDemo } from '../../server/demo/seedDemo.js';
import { buildHttpApp } from '../../server/http/buildHttpApp.js';
import { createLogger } from '../../server/logger.js';
import { buildTestApi, type TestApi } from '../helpers/dataApi.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Issue 27, the holes an audit found over HTTP, against the data API on real Redis: each
 * subtest uses its own client addresses (inject's remoteAddress) so limits do not leak across.
 */

const redis = await startTestRedis(t);

interface Auth {
  cookie?: string;
  token?: string;
  address?: string;
  headers?: Record<string, string>;
}
function call(api: TestApi, auth: Auth, method: string, url: string, payload?: unknown) {
  return api.app.inject({
    method: method as 'GET',
    url,
    remoteAddress: auth.address ?? '127.0.0.1',
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...auth.headers,
    },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

const contact = (n: number) => ({
  name: `Nguyễn Văn Kỹ Thuật ${n}`,
  phone: `091234567${n}`,
  email: `kythuat${n}@sogd.example.vn`,
});

interface World {
  api: TestApi;
  admin: Auth;
  main: Site;
  districts: Site[];
  meeting: Meeting;
  link(role: string, siteId?: string): Promise<string>;
}

/** Sites with their technicians' contacts, a meeting 20 days ahead, scheduled. */
async function world(t: Test, options: Parameters<typeof buildTestApi>[2] = {}): Promise<World> {
  const api = await buildTestApi(t, redis.url, options);
  const admin = { cookie: api.adminCookie };
  const post = async (body: unknown) => {
    const res = await call(api, admin, 'POST', '/api/sites', body);
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json() as Site;
  };
  const main = await post({ ...hoaBinhMainSite, technician: contact(0) });
  const districts: Site[] = [];
  for (const [i, s] of hoaBinhDistrictSites.slice(0, 3).entries())
    districts.push(await post({ ...s, technician: contact(i + 1) }));
  const d = vietnamParts(Date.now() + 20 * 86_400_000);
  const created = await call(
    api,
    admin,
    'POST',
    '/api/meetings',
    hoaBinhBriefing({
      year: d.year,
      month: d.month,
      day: d.day,
      letterDate: '2011-10-21',
      mainSiteId: main.id,
      districtSiteIds: districts.map((s) => s.id),
    }),
  );
  if (created.statusCode !== 201) throw new Error(created.body);
  const id = (created.json() as Meeting).id;
  const scheduled = await call(api, admin, 'POST', `/api/meetings/${id}/actions/schedule`);
  const meeting = scheduled.json() as Meeting;
  const link = async (role: string, siteId?: string) => {
    const res = await call(api, admin, 'POST', `/api/meetings/${id}/links`, {
      role,
      ...(siteId ? { siteId } : {}),
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    return (res.json() as IssuedLink).token;
  };
  return { api, admin, main, districts, meeting, link };
}

const randomToken = () => randomBytes(32).toString('base64url');

t.test('row 1: the API limit counts refused requests, before authentication', async (t) => {
  const w = await world(t, { limits: { requestMax: 40 } });
  const statuses: number[] = [];
  for (let i = 0; i < 60 && !statuses.includes(429); i++)
    statuses.push(
      (await call(w.api, { token: randomToken(), address: '10.27.1.1' }, 'GET', '/api/me/meeting'))
        .statusCode,
    );
  t.ok(statuses.includes(429), `random tokens are limited (${statuses.length} requests)`);
  t.ok(statuses.length <= 41, `by the 41st request (${statuses.length})`);

  const tech = await w.link('technician', w.districts[0]!.id);
  const crossRole: number[] = [];
  for (let i = 0; i < 60 && !crossRole.includes(429); i++)
    crossRole.push(
      (await call(w.api, { token: tech, address: '10.27.1.2' }, 'GET', '/api/sites')).statusCode,
    );
  t.equal(crossRole[0], 403, 'a technician may not list the sites');
  t.ok(crossRole.includes(429), `403s are limited too (${crossRole.length} requests)`);
});

t.test('row 1: failed authentications per address, whatever the route', async (t) => {
  const w = await world(t, { authFailureLimits: { addressMax: 5, addressWindowMs: 60_000 } });
  const chair = await w.link('chair');
  const address = '10.27.2.1';
  const codes: number[] = [];
  for (let i = 0; i < 6; i++)
    codes.push(
      (
        await call(
          w.api,
          { token: randomToken(), address },
          'GET',
          i % 2 ? '/api/auth/me' : `/api/meetings/${w.meeting.id}/convocation`,
        )
      ).statusCode,
    );
  t.same(codes, [401, 401, 401, 401, 401, 429], 'five failures, then 429');
  const right = await call(w.api, { token: chair, address }, 'GET', '/api/me/meeting');
  t.equal(right.statusCode, 429, 'the address waits even with a right token');
  t.ok(Number(right.headers['retry-after']) > 0, 'and is told how long');
  const other = await call(w.api, { token: chair, address: '10.27.2.2' }, 'GET', '/api/me/meeting');
  t.equal(other.statusCode, 200, 'another address is not affected');
  const stale = await call(
    w.api,
    { cookie: 'diemcau_session=khong-con-hieu-luc', address: '10.27.2.3' },
    'GET',
    '/api/sites',
  );
  t.equal(stale.statusCode, 401, 'a stale session is a failure too');
});

t.test('row 1: wrong passwords per account back off, across addresses', async (t) => {
  const w = await world(t, {
    limits: { loginMax: 1000 },
    authFailureLimits: { accountMax: 3, accountLockMs: 600 },
  });
  const login = (password: string, n: number) =>
    call(w.api, { address: `10.27.3.${n}` }, 'POST', '/api/auth/login', {
      username: 'ADMIN',
      password,
    });
  const wrong: number[] = [];
  for (let i = 1; i <= 4; i++) wrong.push((await login('doan-sai-mat-khau', i)).statusCode);
  t.same(wrong, [401, 401, 401, 429], 'three wrong passwords from three addresses, then 429');
  t.equal((await login('mat-khau-rat-dai-2011', 9)).statusCode, 429, 'even the right password');
  await new Promise((r) => setTimeout(r, 700));
  t.equal((await login('doan-sai-mat-khau', 10)).statusCode, 401, 'after the lock: one more try');
  t.equal((await login('mat-khau-rat-dai-2011', 11)).statusCode, 429, 'locked again…');
  await new Promise((r) => setTimeout(r, 700));
  t.equal((await login('mat-khau-rat-dai-2011', 12)).statusCode, 429, '…for twice as long (1.2 s)');
  await new Promise((r) => setTimeout(r, 600));
  t.equal((await login('mat-khau-rat-dai-2011', 13)).statusCode, 200, 'then the right one works');
  t.equal((await login('doan-sai-mat-khau', 14)).statusCode, 401, 'and the count started over');
  t.equal((await login('mat-khau-rat-dai-2011', 15)).statusCode, 200);
});

t.test('row 2: least data by role in me/meeting', async (t) => {
  const w = await world(t);
  const [A] = w.districts as [Site];
  const view = async (token: string) => {
    const res = await call(w.api, { token }, 'GET', '/api/me/meeting');
    t.equal(res.statusCode, 200, res.body);
    return res.json() as MeetingView;
  };
  const contacts = (v: MeetingView) =>
    [v.mainSite, ...v.sites].filter((p) => p.site.technician).map((p) => p.site.id);
  const viewer = await view(await w.link('viewer'));
  t.equal(viewer.sites.length, 3, 'the viewer sees the sites');
  t.same(contacts(viewer), [], 'but no technician’s contact');
  t.notOk(JSON.stringify(viewer).includes('kythuat'), 'no e-mail anywhere in the answer');
  t.notOk(JSON.stringify(viewer).includes('091234567'), 'no phone anywhere in the answer');
  const chair = await view(await w.link('chair'));
  t.same(contacts(chair), [w.main.id, ...w.districts.map((s) => s.id)], 'the chair calls sites');
  const station = await view(await w.link('station'));
  t.equal(contacts(station).length, 4, 'so does the main point');
  const tech = await view(await w.link('technician', A.id));
  t.same(
    tech.sites.map((p) => p.site.id),
    [A.id],
  );
  t.same(contacts(tech), [A.id], 'a technician: its own site’s contact only');
  const reporter = await view(await w.link('reporter', A.id));
  t.same(contacts(reporter), [A.id]);
});

function multipart(fileName: string, data: Buffer) {
  const boundary = '----diemcau-audit';
  return {
    head: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    data,
    tail: Buffer.from(`\r\n--${boundary}--\r\n`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** An upload whose body the test releases in two halves (a slow line). */
function slowUpload(api: TestApi, token: string, url: string, fill: string, size: number) {
  const body = multipart('bao-cao.pdf', Buffer.alloc(size, fill));
  const stream = new PassThrough();
  const reply = api.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType },
    payload: stream,
  });
  stream.write(body.head);
  stream.write(body.data.subarray(0, size / 2));
  return {
    reply,
    finish: () => {
      stream.write(body.data.subarray(size / 2));
      stream.end(body.tail);
    },
  };
}

async function reportWorld(t: Test) {
  const w = await world(t);
  const [A] = w.districts as [Site];
  const created = await call(
    w.api,
    w.admin,
    'POST',
    `/api/meetings/${w.meeting.id}/report-requests`,
    {
      title: 'Báo cáo sơ kết học kỳ I',
      siteIds: w.districts.map((s) => s.id),
      sections: [
        { id: 'toString', number: '1', title: 'Kết quả', required: true },
        { id: 'constructor', number: '2', title: 'Tồn tại', required: false },
        { id: 'p3', number: '3', title: 'Kiến nghị', required: false },
      ],
      deadline: { kind: 'absolute', at: '2030-11-30T17:00:00+07:00' },
    },
  );
  t.equal(created.statusCode, 201, created.body);
  const request = created.json() as ReportRequest;
  const siteUrl = `/api/meetings/${w.meeting.id}/report-requests/${request.id}/sites/${A.id}`;
  const reporter = await w.link('reporter', A.id);
  return { ...w, A, request, siteUrl, reporter };
}

t.test('row 4: an upload replaces a report’s file only while the report is open', async (t) => {
  const w = await reportWorld(t);
  const first = multipart('dau.pdf', Buffer.alloc(1000, 'a'));
  const siteUrl = w.siteUrl;
  const token = w.reporter;
  const before = await w.api.app.inject({
    method: 'POST',
    url: `${siteUrl}/document`,
    headers: { authorization: `Bearer ${token}`, 'content-type': first.contentType },
    payload: Buffer.concat([first.head, first.data, first.tail]),
  });
  t.equal(before.statusCode, 200, before.body);
  const slow = slowUpload(w.api, token, `${siteUrl}/document`, 'Z', 4000);
  await new Promise((r) => setTimeout(r, 100));
  const submit = await call(w.api, { token }, 'POST', `${siteUrl}/submit`, {});
  t.equal(submit.statusCode, 200, 'the site submits while its upload is still arriving');
  slow.finish();
  const late = await slow.reply;
  t.equal(late.statusCode, 409, 'the upload that finished after submission is refused');
  const doc = await call(w.api, { token }, 'GET', `${siteUrl}/document`);
  t.equal(doc.statusCode, 200);
  t.equal(doc.rawPayload.length, 1000, 'the submitted report’s file keeps its bytes');
  t.equal(doc.rawPayload.toString(), 'a'.repeat(1000));
});

t.test('row 4: concurrent uploads to one report each write their own file', async (t) => {
  const w = await reportWorld(t);
  const one = slowUpload(w.api, w.reporter, `${w.siteUrl}/document`, 'X', 6000);
  const two = slowUpload(w.api, w.reporter, `${w.siteUrl}/document`, 'Y', 3000);
  await new Promise((r) => setTimeout(r, 100));
  two.finish();
  await new Promise((r) => setTimeout(r, 50));
  one.finish();
  const answers = await Promise.all([one.reply, two.reply]);
  t.same(
    answers.map((a) => a.statusCode),
    [200, 200],
    answers.map((a) => a.body).join(' | '),
  );
  const record = await call(w.api, { token: w.reporter }, 'GET', w.siteUrl);
  const size = record.json().submission.document.size as number;
  const doc = await call(w.api, { token: w.reporter }, 'GET', `${w.siteUrl}/document`);
  t.equal(doc.rawPayload.length, size, `the file is the one the record describes (${size})`);
  const bytes = doc.rawPayload.toString();
  t.ok(bytes === 'X'.repeat(6000) || bytes === 'Y'.repeat(3000), 'one whole upload, not a mix');
});

t.test('row 7: section ids are own keys (toString, constructor)', async (t) => {
  const w = await reportWorld(t);
  const empty = await call(w.api, { token: w.reporter }, 'POST', `${w.siteUrl}/submit`, {
    sections: { p3: 'Đề nghị bổ sung thiết bị' },
  });
  t.equal(
    empty.statusCode,
    400,
    `a required "toString" section left empty is refused: ${empty.body}`,
  );
  t.match(empty.body, /body\.sections\.toString/);
  const ok = await call(w.api, { token: w.reporter }, 'POST', `${w.siteUrl}/submit`, {
    sections: { toString: 'Hoàn thành 100% kế hoạch', p3: 'Không' },
  });
  t.equal(ok.statusCode, 200, ok.body);
  const base = `/api/meetings/${w.meeting.id}/report-requests/${w.request.id}`;
  const html = await call(w.api, w.admin, 'GET', `${base}/consolidated.html`);
  t.equal(html.statusCode, 200, 'the consolidated HTML');
  t.match(html.body, /Hoàn thành 100% kế hoạch/);
  t.notMatch(html.body, /native code|function /, 'no Object.prototype function text');
  const docx = await call(w.api, w.admin, 'GET', `${base}/consolidated.docx`);
  t.equal(docx.statusCode, 200, 'the consolidated .docx');
});

t.test('row 6: security headers on API answers, errors and documents', async (t) => {
  const w = await world(t);
  const chair = await w.link('chair');
  const answers = {
    json: await call(w.api, { token: chair }, 'GET', '/api/me/meeting'),
    error: await call(w.api, {}, 'GET', '/api/sites'),
    notFound: await call(w.api, {}, 'GET', '/khong-co'),
    convocation: await call(w.api, w.admin, 'GET', `/api/meetings/${w.meeting.id}/convocation`),
  };
  for (const [name, res] of Object.entries(answers)) {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${name}: no Referer`);
    t.match(
      String(res.headers['content-security-policy']),
      /frame-ancestors 'none'/,
      `${name}: no framing`,
    );
    t.notMatch(String(res.headers['content-security-policy']), /script-src[^;]*unsafe-inline/);
  }
  t.match(
    String(answers.convocation.headers['content-security-policy']),
    /^default-src 'none'/,
    'a document keeps its own stricter policy',
  );
});

t.test('row 8: the same-origin rule compares the scheme', async (t) => {
  const w = await world(t);
  const site = (origin: string, n: number) =>
    call(w.api, { ...w.admin, headers: { origin, host: 'localhost:8080' } }, 'POST', '/api/sites', {
      name: `Trường THCS thử nghiệm ${n}`,
      kind: 'school',
    });
  // The request arrives over plain http at localhost:8080.
  t.equal((await site('https://localhost:8080', 1)).statusCode, 403, 'https page, http service');
  t.equal((await site('http://localhost:8080', 2)).statusCode, 201, 'the very origin addressed');
});

t.test('row 9: a cancelled meeting’s links stop at once', async (t) => {
  const w = await world(t);
  const tech = await w.link('technician', w.districts[0]!.id);
  const urls = ['/api/me/meeting', `/api/meetings/${w.meeting.id}/convocation`];
  for (const url of urls) t.equal((await call(w.api, { token: tech }, 'GET', url)).statusCode, 200);
  const cancel = await call(w.api, w.admin, 'POST', `/api/meetings/${w.meeting.id}/actions/cancel`);
  t.equal(cancel.statusCode, 200, cancel.body);
  for (const url of urls) {
    const res = await call(w.api, { token: tech, address: '10.27.9.1' }, 'GET', url);
    t.equal(res.statusCode, 401, `${url} refused`);
    t.match(res.json().message.en, /cancelled/);
  }
  const reopen = await call(w.api, w.admin, 'POST', `/api/meetings/${w.meeting.id}/actions/reopen`);
  t.equal(reopen.statusCode, 200);
  t.equal(
    (await call(w.api, { token: tech }, 'GET', '/api/me/meeting')).statusCode,
    200,
    'reopened, the link works again',
  );
});

t.test('row 11: the demo never writes join URLs or the password into the JSON log', async (t) => {
  const api = await buildTestApi(t, redis.url, { noAdmin: true });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ logLevel: 'info', logPretty: false }, sink);
  const demo = await seedDemo(api.services, { logger });
  const log = lines.join('');
  t.ok(demo.adminPassword, 'an admin account was created');
  t.ok(demo.links.length > 3, 'links were issued');
  t.match(log, /join link/, 'the links are mentioned');
  t.notOk(log.includes(demo.adminPassword!), 'the initial password is not in the log');
  for (const link of demo.links) t.notOk(log.includes(link.url), `${link.role} URL not in the log`);
  t.notOk(/\/join\/[A-Za-z0-9_-]{43}/.test(log), 'no token at all');
});

t.test('suspected: a request must arrive within its time (slowloris)', async (t) => {
  const app = await buildHttpApp({
    logger: testLogger,
    publicUrl: 'http://127.0.0.1',
    isShuttingDown: () => false,
    requestTimeoutMs: 1000,
  });
  app.post('/echo', async (request) => ({ got: String(request.body).length }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  const started = Date.now();
  socket.write(
    'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n',
  );
  const drip = setInterval(() => socket.write('a'), 100);
  const answer = await new Promise<string>((resolve) => {
    let got = '';
    socket.on('data', (d) => (got += String(d)));
    socket.on('close', () => resolve(got));
    setTimeout(() => resolve(`${got}(still open)`), 10_000);
  });
  clearInterval(drip);
  socket.destroy();
  const took = Date.now() - started;
  t.match(answer, /^HTTP\/1\.1 408/, `answered 408 (${answer.split('\r\n')[0]})`);
  t.ok(took < 3000, `within the limit and one check interval (${took} ms)`);
});
