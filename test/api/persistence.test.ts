import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Meeting } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { seedDemo } from '../../server/demo/seedDemo.js';
import { RedisServerProcess } from '../../server/redis/RedisServerProcess.js';
import { buildTestApi, createHoaBinhSites, login, type TestApi } from '../helpers/dataApi.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/** What an admin reads of the department and one meeting, to compare across a restart. */
async function snapshot(api: TestApi, meetingId: string, cookie: string) {
  const get = async (url: string) =>
    (await api.app.inject({ method: 'GET', url, headers: { cookie } })).json();
  return {
    sites: await get('/api/sites'),
    meeting: await get(`/api/meetings/${meetingId}`),
    audit: await get(`/api/meetings/${meetingId}/audit`),
  };
}

t.test(
  'app and Redis restart: every record, link, session and audit entry is still there',
  async (t) => {
    const redisDir = mkdtempSync(join(tmpdir(), 'diemcau-redis-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'diemcau-data-'));
    t.teardown(() => {
      rmSync(redisDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });
    const prefix = 'diemcau:restart-test:';

    let server = await RedisServerProcess.start({
      bin: 'redis-server',
      dir: redisDir,
      logger: testLogger,
    });
    let api = await buildTestApi(t, server.url, { prefix, dataDir });
    const { main, districts } = await createHoaBinhSites(api);
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/meetings',
      headers: { cookie: api.adminCookie },
      payload: hoaBinhBriefing({
        year: 2031,
        month: 11,
        day: 4,
        letterDate: '2031-10-21',
        mainSiteId: main.id,
        districtSiteIds: districts.map((d) => d.id),
      }),
    });
    const meeting: Meeting = created.json();
    await api.app.inject({
      method: 'POST',
      url: `/api/meetings/${meeting.id}/actions/schedule`,
      headers: { cookie: api.adminCookie },
    });
    const links = (
      await api.app.inject({
        method: 'POST',
        url: `/api/meetings/${meeting.id}/links/missing`,
        headers: { cookie: api.adminCookie },
      })
    ).json().issued;
    const cookie = api.adminCookie;
    const before = await snapshot(api, meeting.id, cookie);
    await api.close();
    await server.close();

    server = await RedisServerProcess.start({
      bin: 'redis-server',
      dir: redisDir,
      logger: testLogger,
    });
    t.teardown(() => server.close());
    api = await buildTestApi(t, server.url, { prefix, dataDir, noAdmin: true });
    const after = await snapshot(api, meeting.id, cookie);
    t.same(after, before, 'the session cookie still works and every record is identical');
    t.equal(after.meeting.state, 'scheduled');
    t.equal((after.sites.sites as Site[]).length, 12);
    const tech = await api.app.inject({
      method: 'GET',
      url: '/api/me/meeting',
      headers: { authorization: `Bearer ${links[2].token}` },
    });
    t.equal(tech.statusCode, 200, 'join links survive');
    t.ok(await login(api.app), 'the admin password survives');
    await api.close();
  },
);

t.test('demo seed: the Hòa Bình department on an empty store, once', async (t) => {
  const redis = await startTestRedis(t);
  const api = await buildTestApi(t, redis.url, { noAdmin: true });
  const result = await seedDemo(api.services, { logger: testLogger });
  t.equal(result.seeded, true);
  t.match(result.adminPassword, /^[A-Za-z0-9]{16}$/);
  const sites = await api.services.sites.list();
  t.equal(sites.length, 12, '1 + 11 sites');
  t.equal(sites.filter((s) => s.kind === 'main_hall').length, 1);
  t.same(
    sites
      .filter((s) => s.kind === 'district_office')
      .map((s) => s.name)
      .sort(),
    [
      'Cao Phong',
      'Đà Bắc',
      'Kim Bôi',
      'Kỳ Sơn',
      'Lạc Sơn',
      'Lạc Thủy',
      'Lương Sơn',
      'Mai Châu',
      'Tân Lạc',
      'TP Hòa Bình',
      'Yên Thủy',
    ].sort(),
  );
  const [meeting] = await api.services.meetings.list();
  t.equal(meeting!.state, 'scheduled');
  t.match(meeting!.opensAt, /T07:30:00\+07:00$/);
  t.match(meeting!.checkAt, /T08:00:00\+07:00$/);
  t.ok(Date.parse(meeting!.checkAt) > Date.now(), 'the check is still ahead');
  t.equal(
    Date.parse(meeting!.opensAt) - Date.parse(meeting!.checkAt),
    (23 * 60 + 30) * 60_000,
    '08:00 the day before',
  );
  t.equal(meeting!.sites.length, 11);
  t.ok(
    meeting!.sites.every((s) => s.composition.length > 0),
    'composition per site',
  );
  t.equal(result.links.length, 13);
  t.equal(result.links.filter((l) => l.role === 'technician').length, 11);
  t.ok(result.links.every((l) => l.url.startsWith('https://diemcau.example.vn/join/')));
  const tech = result.links.find((l) => l.siteName === 'Mai Châu')!;
  const view = await api.app.inject({
    method: 'GET',
    url: '/api/me/meeting',
    headers: { authorization: `Bearer ${tech.url.split('/join/')[1]}` },
  });
  t.equal(view.json().sites[0].site.name, 'Mai Châu');
  t.ok(await login(api.app, { username: 'admin', password: result.adminPassword! }));

  const again = await seedDemo(api.services, { logger: testLogger });
  t.same(again, { seeded: false, links: [] }, 'a second start changes nothing');
  t.equal((await api.services.sites.list()).length, 12);
});

t.test('OpenAPI documents every route from the shared schemas', async (t) => {
  const redis = await startTestRedis(t);
  const api = await buildTestApi(t, redis.url);
  const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();
  const paths = Object.keys(doc.paths);
  for (const p of [
    '/api/auth/login',
    '/api/auth/me',
    '/api/me/meeting',
    '/api/sites',
    '/api/sites/{id}',
    '/api/meetings',
    '/api/meetings/{id}',
    '/api/meetings/{id}/actions/{action}',
    '/api/meetings/{id}/links',
    '/api/meetings/{id}/links/{linkId}/reissue',
    '/api/meetings/{id}/attachments',
    '/api/meetings/{id}/convocation',
    '/api/meetings/{id}/meeting.ics',
    '/api/meetings/{id}/check.ics',
    '/api/audit',
  ]) {
    t.ok(paths.includes(p), p);
  }
  const create = doc.paths['/api/meetings'].post;
  const body = create.requestBody.content['application/json'].schema;
  t.ok(body.properties.opensAt, 'body from the protocol schema');
  t.ok(create.responses['201'] && create.responses['400'] && create.responses['409']);
  const action = doc.paths['/api/meetings/{id}/actions/{action}'].post;
  t.ok(
    action.parameters.some(
      (p: { name: string; schema: { enum?: string[] } }) =>
        p.name === 'action' && p.schema.enum?.includes('goLive'),
    ),
  );
  t.ok(doc.paths['/api/meetings/{id}/convocation'].get.responses['200'].content['text/html']);
  const ui = await api.app.inject({ method: 'GET', url: '/docs/' });
  t.equal(ui.statusCode, 200);
});
