import t from 'tap';
import type { Site } from '../../protocol/sites.js';
import { buildTestApi, type TestApi } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

const redis = await startTestRedis(t);

function call(
  api: TestApi,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return api.app.inject({
    method,
    url,
    headers: { cookie: api.adminCookie, ...headers },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

const myHoa = {
  name: 'Điểm cầu Thành phố Bến Tre',
  kind: 'school',
  hostUnit: 'Trường THCS Mỹ Hóa',
  address: 'Phường 7, Thành phố Bến Tre',
  technician: { name: 'Trần Thị Lan', phone: '(0275) 3822-123', email: 'lan@example.vn' },
  attendingUnits: ['Trung tâm Giáo dục thường xuyên tỉnh'],
  notes: 'Phòng họp tầng 2\nCó máy phát điện',
};

t.test('site directory: create, read, list, replace, delete', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const created = await call(api, 'POST', '/api/sites', myHoa);
  t.equal(created.statusCode, 201);
  const site: Site = created.json();
  t.equal(site.version, 1);
  t.equal(created.headers.etag, '"1"');
  t.same(
    { ...site, id: undefined, version: undefined, createdAt: undefined, updatedAt: undefined },
    { ...myHoa, id: undefined, version: undefined, createdAt: undefined, updatedAt: undefined },
  );

  const commune = await call(api, 'POST', '/api/sites', {
    name: 'Xã Mỹ Thạnh An',
    kind: 'commune_office',
  });
  t.equal(commune.statusCode, 201, 'commune offices, not only districts');
  t.same(commune.json().attendingUnits, []);

  const list = await call(api, 'GET', '/api/sites');
  t.same(
    list.json().sites.map((s: Site) => s.name),
    ['Điểm cầu Thành phố Bến Tre', 'Xã Mỹ Thạnh An'],
    'sorted by Vietnamese name',
  );

  const got = await call(api, 'GET', `/api/sites/${site.id}`);
  t.same(got.json(), site);

  const put = await call(api, 'PUT', `/api/sites/${site.id}`, {
    ...myHoa,
    name: 'TP Bến Tre',
    version: 1,
  });
  t.equal(put.statusCode, 200);
  t.equal(put.json().version, 2);
  t.equal(put.json().name, 'TP Bến Tre');
  const stale = await call(api, 'PUT', `/api/sites/${site.id}`, { ...myHoa, version: 1 });
  t.equal(stale.statusCode, 409);
  t.same(stale.json().details, { currentVersion: 2 });
  const staleDelete = await call(api, 'DELETE', `/api/sites/${site.id}`, undefined, {
    'if-match': '"1"',
  });
  t.equal(staleDelete.statusCode, 409);
  const badIfMatch = await call(api, 'DELETE', `/api/sites/${site.id}`, undefined, {
    'if-match': 'abc',
  });
  t.equal(badIfMatch.statusCode, 400);
  t.match(badIfMatch.json().message.vi, /if-match/);

  // The old name is free again, the new one is taken.
  t.equal(
    (await call(api, 'POST', '/api/sites', { name: myHoa.name, kind: 'school' })).statusCode,
    201,
  );
  t.equal(
    (await call(api, 'POST', '/api/sites', { name: 'tp bến tre', kind: 'school' })).statusCode,
    409,
  );

  const del = await call(api, 'DELETE', `/api/sites/${site.id}`, undefined, { 'if-match': '"2"' });
  t.equal(del.statusCode, 200);
  const missing = await call(api, 'GET', `/api/sites/${site.id}`);
  t.equal(missing.statusCode, 404);
  t.match(missing.json().message, { vi: /Không tìm thấy điểm cầu/, en: /Site not found/ });
  t.equal(
    (await call(api, 'PUT', `/api/sites/${site.id}`, { ...myHoa, version: 2 })).statusCode,
    404,
  );
  t.equal((await call(api, 'DELETE', `/api/sites/${site.id}`)).statusCode, 404);
  t.equal((await call(api, 'GET', '/api/sites/bad%20id')).statusCode, 400);

  const audit = (await call(api, 'GET', '/api/audit?limit=10'))
    .json()
    .entries.map((e: { action: string }) => e.action);
  t.same(audit.slice(0, 5), [
    'site.delete',
    'site.create',
    'site.update',
    'site.create',
    'site.create',
  ]);
});

t.test('site validation names the field', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const cases: [string, unknown, RegExp][] = [
    ['empty name', { ...myHoa, name: ' ' }, /body\.name: Tên điểm cầu không được để trống/],
    ['missing name', { kind: 'school' }, /body\.name: Tên điểm cầu là bắt buộc/],
    [
      'hard-coded district',
      { ...myHoa, kind: 'district' },
      /body\.kind: Loại điểm cầu phải là một trong main_hall, district_office, commune_office, school, ministry, other/,
    ],
    [
      'bad phone',
      { ...myHoa, technician: { phone: 'gọi tôi' } },
      /body\.technician\.phone: Số điện thoại cán bộ kỹ thuật chỉ gồm chữ số/,
    ],
    [
      'bad e-mail',
      { ...myHoa, technician: { email: 'lan@' } },
      /body\.technician\.email: E-mail cán bộ kỹ thuật không hợp lệ/,
    ],
    [
      'control character',
      { ...myHoa, name: 'A\u0007B' },
      /body\.name: Tên điểm cầu chứa ký tự không hợp lệ/,
    ],
    [
      'newline in name',
      { ...myHoa, name: 'A\nB' },
      /body\.name: Tên điểm cầu chứa ký tự không hợp lệ/,
    ],
    [
      'too many units',
      { ...myHoa, attendingUnits: Array.from({ length: 201 }, (_, i) => `Trường ${i}`) },
      /body\.attendingUnits: Các đơn vị dự họp tại điểm cầu: tối đa 200 mục/,
    ],
    ['name as number', { ...myHoa, name: 42 }, /body\.name: Tên điểm cầu phải là chuỗi/],
    [
      'dial-out address not a SIP URI',
      { ...myHoa, sip: { user: 'hall1', dialOut: 'http://hall.example.vn' } },
      /body\.sip\.dialOut: Địa chỉ gọi ra phải có dạng sip:/,
    ],
    [
      'dial-out over TLS (sips:) not offered',
      { ...myHoa, sip: { user: 'hall1', dialOut: 'sips:hall1@hall.example.vn' } },
      /body\.sip\.dialOut: Địa chỉ gọi ra phải có dạng sip:/,
    ],
    [
      'dial-out with an unknown transport',
      { ...myHoa, sip: { user: 'hall1', dialOut: 'sip:hall1@10.0.0.5:5060;transport=sctp' } },
      /body\.sip\.dialOut: Địa chỉ gọi ra phải có dạng sip:/,
    ],
    [
      'a SIP room with no way in or out',
      { ...myHoa, sip: { user: 'hall1' } },
      /body\.sip\.password: Thiết bị SIP cần mật khẩu, địa chỉ gọi đến hoặc địa chỉ gọi ra/,
    ],
  ];
  for (const [name, payload, message] of cases) {
    const res = await call(api, 'POST', '/api/sites', payload);
    t.equal(res.statusCode, 400, name);
    t.match(res.json().message.vi, message, name);
    // The same fields as data: each path with its message in both languages, nothing to split.
    const path = message.source.slice(0, message.source.indexOf(':')).replaceAll('\\', '');
    const fields = res.json().fields as { path: string; message: { vi: string; en: string } }[];
    t.ok(
      fields.some(
        (f) => f.path === path && f.message.vi && f.message.en && !f.message.en.includes(' / '),
      ),
      `${name}: field ${path} named with its own message`,
    );
  }
  const huge = await call(api, 'POST', '/api/sites', {
    ...myHoa,
    notes: 'x'.repeat(2 * 1024 * 1024),
  });
  t.equal(huge.statusCode, 413, 'body limit');
  // A room that only waits to be called needs nothing but its dial-out address.
  const dialled = await call(api, 'POST', '/api/sites', {
    ...myHoa,
    name: 'Hội trường chờ gọi',
    sip: { user: 'hall-wait', dialOut: 'sip:hall-wait@10.0.0.5:5062;transport=tcp' },
  });
  t.equal(dialled.statusCode, 201, 'a dial-out-only SIP site is accepted');
  t.equal(dialled.json().sip.dialOut, 'sip:hall-wait@10.0.0.5:5062;transport=tcp');
  await call(api, 'DELETE', `/api/sites/${dialled.json().id}`, undefined, {
    'if-match': '"1"',
  });
  t.same((await call(api, 'GET', '/api/sites')).json().sites, []);
});
