import t from 'tap';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { ReportRequest, SiteReportList } from '../../protocol/reports.js';
import { vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { buildTestApi, createHoaBinhSites, type TestApi } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

const redis = await startTestRedis(t);

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
function call(
  api: TestApi,
  auth: { cookie?: string; token?: string },
  method: Method,
  url: string,
  payload?: unknown,
) {
  return api.app.inject({
    method,
    url,
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
    },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
}

t.test('a reporter link reads and writes only its own site’s reports', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const admin = { cookie: api.adminCookie };
  const { main, districts } = await createHoaBinhSites(api);
  const [A, B] = districts as [(typeof districts)[0], (typeof districts)[0]];
  const meeting = async (ids: string[], daysAhead = 20) => {
    const d = vietnamParts(Date.now() + daysAhead * 86_400_000);
    const res = await call(
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
        districtSiteIds: ids,
      }),
    );
    t.equal(res.statusCode, 201, res.body);
    return res.json() as Meeting;
  };
  const m = await meeting(districts.map((s) => s.id));
  const link = async (meetingId: string, role: string, siteId?: string) => {
    const res = await call(api, admin, 'POST', `/api/meetings/${meetingId}/links`, {
      role,
      ...(siteId ? { siteId } : {}),
    });
    t.equal(res.statusCode, 201, res.body);
    return { token: (res.json() as IssuedLink).token };
  };

  const noSite = await call(api, admin, 'POST', `/api/meetings/${m.id}/links`, {
    role: 'reporter',
  });
  t.equal(noSite.statusCode, 400);
  t.match(noSite.json().message.vi, /siteId/);

  const reporterA = await link(m.id, 'reporter', A.id);
  const techB = await link(m.id, 'technician', B.id);
  const chair = await link(m.id, 'chair');

  // Bad requests name the field.
  const base = {
    title: 'Báo cáo tổng kết 05 năm',
    siteIds: [A.id, B.id],
    sections: [{ id: 'p1', number: '1', title: 'Kết quả' }],
    deadline: { kind: 'absolute', at: '2030-11-30T17:00:00+07:00' },
  };
  for (const [body, pattern] of [
    [{ ...base, siteIds: ['khong-co'] }, /body\.siteIds\.0: Điểm cầu không tham dự/],
    [{ ...base, deadline: { kind: 'relative', days: 7 } }, /deadline\.direction/],
    [{ ...base, sections: [] }, /body\.sections: Đề cương cần ít nhất một mục/],
    [
      { ...base, sections: [base.sections[0], base.sections[0]] },
      /sections\.1\.id: Mã mục bị trùng/,
    ],
  ] as const) {
    const res = await call(api, admin, 'POST', `/api/meetings/${m.id}/report-requests`, body);
    t.equal(res.statusCode, 400, res.body);
    t.match(res.json().message.vi, pattern);
  }
  const created = await call(api, admin, 'POST', `/api/meetings/${m.id}/report-requests`, base);
  t.equal(created.statusCode, 201, created.body);
  const r = created.json() as ReportRequest;
  const siteUrl = (siteId: string) =>
    `/api/meetings/${m.id}/report-requests/${r.id}/sites/${siteId}`;

  // The reporter: its own site only.
  const mine = await call(api, reporterA, 'GET', `/api/meetings/${m.id}/my-reports`);
  t.equal(mine.statusCode, 200, mine.body);
  t.same(
    (mine.json() as SiteReportList).reports.map((x) => x.report.siteId),
    [A.id],
  );
  t.equal((await call(api, reporterA, 'GET', siteUrl(A.id))).statusCode, 200);
  const write = await call(api, reporterA, 'PUT', siteUrl(A.id), { sections: { p1: 'Nội dung' } });
  t.equal(write.statusCode, 200, write.body);
  const unknown = await call(api, reporterA, 'PUT', siteUrl(A.id), {
    sections: { p9: 'x' },
    version: 1,
  });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json().message.vi, /body\.sections\.p9/);
  const stale = await call(api, reporterA, 'PUT', siteUrl(A.id), { sections: {}, version: 7 });
  t.equal(stale.statusCode, 409, 'a stale version is refused');

  const refused: [string, Method, string, unknown?][] = [
    ['another site’s report', 'GET', siteUrl(B.id)],
    ['writing another site’s report', 'PUT', siteUrl(B.id), { sections: {} }],
    ['submitting for another site', 'POST', `${siteUrl(B.id)}/submit`, {}],
    ['another site’s document', 'GET', `${siteUrl(B.id)}/document`],
    ['the board', 'GET', `/api/meetings/${m.id}/report-requests/${r.id}/board`],
    ['the list of requests', 'GET', `/api/meetings/${m.id}/report-requests`],
    [
      'the consolidated report',
      'GET',
      `/api/meetings/${m.id}/report-requests/${r.id}/consolidated.docx`,
    ],
    ['creating requests', 'POST', `/api/meetings/${m.id}/report-requests`, base],
    ['the meeting record', 'GET', `/api/meetings/${m.id}`],
    ['the readiness board', 'GET', `/api/meetings/${m.id}/readiness`],
    ['join links', 'GET', `/api/meetings/${m.id}/links`],
    ['templates', 'GET', '/api/report-templates'],
  ];
  for (const [what, method, url, body] of refused) {
    const res = await call(api, reporterA, method, url, body);
    t.ok([403, 404].includes(res.statusCode), `reporter refused: ${what} (${res.statusCode})`);
    t.not(res.statusCode, 200);
  }

  // The same reporter token on another meeting's URL.
  const other = await meeting([A.id], 21);
  const res = await call(api, reporterA, 'GET', `/api/meetings/${other.id}/my-reports`);
  t.equal(res.statusCode, 403, 'bound to its meeting');

  // /api/me/meeting shows a reporter only its own site.
  const me = await call(api, reporterA, 'GET', '/api/me/meeting');
  t.equal(me.statusCode, 200, me.body);
  t.same(
    me.json().sites.map((s: { siteId: string }) => s.siteId),
    [A.id],
  );

  // A technician too: its own site; the chair reads the board but writes no report.
  t.equal((await call(api, techB, 'GET', siteUrl(A.id))).statusCode, 403);
  t.equal((await call(api, techB, 'PUT', siteUrl(B.id), { sections: {} })).statusCode, 200);
  t.equal(
    (await call(api, chair, 'GET', `/api/meetings/${m.id}/report-requests/${r.id}/board`))
      .statusCode,
    200,
  );
  t.equal((await call(api, chair, 'PUT', siteUrl(A.id), { sections: {} })).statusCode, 403);
  t.equal((await call(api, {}, 'GET', siteUrl(A.id))).statusCode, 401);

  // A consolidating site (seed 002: the district office for its units) sees the board and the
  // consolidated report of its own request, and no other.
  const byA = await call(api, admin, 'POST', `/api/meetings/${m.id}/report-requests`, {
    ...base,
    siteIds: [B.id],
    consolidator: { kind: 'site', siteId: A.id },
  });
  t.equal(byA.statusCode, 201, byA.body);
  const aReq = (byA.json() as ReportRequest).id;
  t.equal(
    (await call(api, reporterA, 'GET', `/api/meetings/${m.id}/report-requests/${aReq}/board`))
      .statusCode,
    200,
  );
  t.equal(
    (
      await call(
        api,
        reporterA,
        'GET',
        `/api/meetings/${m.id}/report-requests/${aReq}/consolidated.html`,
      )
    ).statusCode,
    200,
  );
  t.equal(
    (await call(api, techB, 'GET', `/api/meetings/${m.id}/report-requests/${aReq}/board`))
      .statusCode,
    403,
    'a reporting site does not see the others',
  );

  // A site not asked for this report has nothing to write there.
  const C = districts[2]!;
  const reporterC = await link(m.id, 'reporter', C.id);
  const notAsked = await call(api, reporterC, 'PUT', siteUrl(C.id), { sections: {} });
  t.equal(notAsked.statusCode, 404);
  t.same(
    (
      (
        await call(api, reporterC, 'GET', `/api/meetings/${m.id}/my-reports`)
      ).json() as SiteReportList
    ).reports,
    [],
  );
});
