import t from 'tap';
import type { Meeting, MeetingInput } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { toVietnamIso, vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import type { MeetingServiceEvents } from '../../server/meetings/MeetingService.js';
import { buildTestApi, createHoaBinhSites, keysUnder, type TestApi } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';
import { benTreMain, benTreMeeting, benTreSites } from '../helpers/seed003.js';

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

/** The seed-002 briefing `daysAhead` days from now (Vietnam date), so it can be scheduled. */
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

async function createMeeting(api: TestApi, input: MeetingInput): Promise<Meeting> {
  const res = await call(api, 'POST', '/api/meetings', input);
  if (res.statusCode !== 201) throw new Error(`create meeting: ${res.statusCode} ${res.body}`);
  return res.json();
}

t.test(
  'seed 002 entered as the letter describes: default check, convocation, calendars',
  async (t) => {
    const api = await buildTestApi(t, redis.url);
    const { main, districts } = await createHoaBinhSites(api);
    t.equal(districts.length, 11);
    const meeting = await createMeeting(
      api,
      hoaBinhBriefing({
        year: 2011,
        month: 11,
        day: 1,
        letterDate: '2011-10-21',
        mainSiteId: main.id,
        districtSiteIds: districts.map((d) => d.id),
      }),
    );
    t.equal(meeting.state, 'draft');
    t.equal(meeting.version, 1);
    t.equal(meeting.opensAt, '2011-11-01T07:30:00+07:00');
    t.equal(
      meeting.checkAt,
      '2011-10-31T08:00:00+07:00',
      'meeting 01/11 07:30 → check 31/10 08:00',
    );
    t.equal(meeting.checkAtDefault, true);

    const html = await call(api, 'GET', `/api/meetings/${meeting.id}/convocation`);
    t.equal(html.statusCode, 200);
    t.match(html.headers['content-type'], /^text\/html; charset=utf-8/);
    t.match(html.headers['content-security-policy'], /default-src 'none'/);
    const body = html.body;
    for (const expected of [
      'UBND TỈNH HÒA BÌNH',
      'SỞ GIÁO DỤC VÀ ĐÀO TẠO HÒA BÌNH',
      'Số: 1039/SGD&amp;ĐT-VP',
      'V/v triệu tập đại biểu dự Hội nghị giao ban trực tuyến tháng 11 năm 2011',
      'Hòa Bình, ngày 21 tháng 10 năm 2011',
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Kính gửi:',
      'Phòng Giáo dục và Đào tạo các huyện, thành phố',
      'I. Thành phần, địa điểm',
      '1. Tại điểm cầu chính: Sở GD&amp;ĐT Hòa Bình',
      'Tại 11 điểm cầu tham dự',
      'TP Hòa Bình; Đà Bắc; Mai Châu; Tân Lạc; Lạc Sơn; Yên Thủy; Lạc Thủy; Kim Bôi; Cao Phong; Lương Sơn; Kỳ Sơn',
      'Trưởng phòng GD&amp;ĐT',
      'Chủ tịch Công đoàn Giáo dục',
      'Khai mạc lúc 07 giờ 30, Thứ Ba, ngày 01 tháng 11 năm 2011',
      'III. Chương trình hội nghị',
      'IV. Kiểm tra kỹ thuật',
      'Từ <b>08 giờ 00, Thứ Hai, ngày 31 tháng 10 năm 2011</b>',
      'với 11 điểm cầu',
      'nguồn điện dự phòng',
      'cán bộ kỹ thuật',
      'Đài Truyền thanh – Truyền hình',
      'Tít trên phông chính',
      'HỘI NGHỊ GIAO BAN TRỰC TUYẾN',
      'Nơi nhận:',
      'TL. GIÁM ĐỐC<br/>CHÁNH VĂN PHÒNG',
      '@page { size: A4',
    ]) {
      t.ok(body.includes(expected), `convocation contains "${expected}"`);
    }

    const ics = await call(api, 'GET', `/api/meetings/${meeting.id}/meeting.ics`);
    t.equal(ics.statusCode, 200);
    t.match(ics.headers['content-type'], /^text\/calendar/);
    const lines = ics.body.split('\r\n');
    t.equal(lines[0], 'BEGIN:VCALENDAR');
    t.equal(lines.at(-2), 'END:VCALENDAR');
    t.equal(lines.at(-1), '', 'ends with CRLF');
    t.notOk(/[^\r]\n/.test(ics.body), 'every line ends with CRLF');
    t.ok(
      lines.every((l) => Buffer.byteLength(l) <= 75),
      'lines folded at 75 octets',
    );
    const unfolded = ics.body.replace(/\r\n /g, '');
    t.match(unfolded, /\r\nDTSTART:20111101T003000Z\r\n/);
    t.match(unfolded, /\r\nDTEND:20111101T043000Z\r\n/);
    t.match(unfolded, `\r\nUID:meeting-${meeting.id}@diemcau.example.vn\r\n`);
    t.match(unfolded, /\r\nSUMMARY:Hội nghị giao ban trực tuyến tháng 11 năm 2011\r\n/);
    t.match(unfolded, /DESCRIPTION:Sở Giáo dục và Đào tạo Hòa Bình\\nChủ trì: Giám đốc Sở GD&ĐT/);
    t.equal((unfolded.match(/BEGIN:VEVENT/g) ?? []).length, 1);
    t.equal((unfolded.match(/END:VEVENT/g) ?? []).length, 1);

    const check = await call(api, 'GET', `/api/meetings/${meeting.id}/check.ics`);
    const checkText = check.body.replace(/\r\n /g, '');
    t.match(checkText, /\r\nDTSTART:20111031T010000Z\r\n/, 'check at 08:00 +07:00 on 31/10');
    t.match(checkText, /\r\nDTEND:20111031T020000Z\r\n/, 'one hour by default');
    t.match(checkText, `UID:check-${meeting.id}@diemcau.example.vn`);
    const again = await call(api, 'GET', `/api/meetings/${meeting.id}/check.ics`);
    t.equal(again.body, check.body, 'stable output and UID');
  },
);

t.test('seed 003 entered as the letter describes: Friday check, school-hosted site', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const mainRes = await call(api, 'POST', '/api/sites', benTreMain);
  const main: Site = mainRes.json();
  const sites: Site[] = [];
  for (const s of benTreSites) sites.push((await call(api, 'POST', '/api/sites', s)).json());
  const meeting = await createMeeting(
    api,
    benTreMeeting(
      main.id,
      sites.map((s) => s.id),
    ),
  );
  t.equal(meeting.checkAt, '2013-03-08T08:00:00+07:00');
  t.equal(meeting.checkAtDefault, false);
  t.equal(meeting.agenda.length, 10);
  const html = (await call(api, 'GET', `/api/meetings/${meeting.id}/convocation`)).body;
  for (const expected of [
    'ỦY BAN NHÂN DÂN TỈNH BẾN TRE',
    'Số: 252/SGD&amp;ĐT-VP',
    'Bến Tre, ngày 04 tháng 03 năm 2013',
    'Khai mạc lúc 07 giờ 30, Thứ Hai, ngày 11 tháng 3 năm 2013; kết thúc lúc 17 giờ 00.',
    'Từ <b>08 giờ 00, Thứ Sáu, ngày 08 tháng 3 năm 2013</b>',
    '* Trung tâm Kỹ thuật Tổng hợp – Hướng nghiệp tỉnh; Trung tâm Giáo dục thường xuyên tỉnh dự họp tại điểm cầu Thành phố Bến Tre (Trường THCS Mỹ Hóa)',
    '<td class="c nowrap">09:30</td><td><i>Giải lao</i></td>',
    '<td class="c nowrap">13:30</td>',
    'Lê Ngọc Bửu',
    'www.bentre.edu.vn',
  ]) {
    t.ok(html.includes(expected), `convocation contains "${expected}"`);
  }
  t.notOk(html.includes('0275 3822 000'), 'no technician phone numbers in the letter');
});

t.test('validation answers 400 naming each field, in Vietnamese then English', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const good = briefingIn(20, main, districts);

  const cases: [string, MeetingInput, RegExp][] = [
    ['empty title', { ...good, title: '   ' }, /body\.title: Tên hội nghị không được để trống/],
    [
      'closing before opening',
      { ...good, closesAt: good.opensAt },
      /body\.closesAt: Giờ kết thúc phải sau giờ khai mạc/,
    ],
    [
      'check after opening',
      { ...good, checkAt: good.closesAt },
      /body\.checkAt: Giờ kiểm tra kỹ thuật phải trước giờ khai mạc/,
    ],
    [
      'no offset',
      { ...good, opensAt: '2030-11-01T07:30:00' },
      /body\.opensAt: Giờ khai mạc phải theo dạng ISO 8601 có múi giờ/,
    ],
    [
      'main point also a site',
      { ...good, sites: [...good.sites, { siteId: main.id, composition: [] }] },
      /body\.sites\.11\.siteId: Điểm cầu chính không được đồng thời là điểm cầu tham dự/,
    ],
    [
      'agenda out of order',
      { ...good, agenda: [good.agenda![2]!, good.agenda![1]!] },
      /body\.agenda\.1\.startsAt: Mục chương trình phải theo thứ tự thời gian/,
    ],
    [
      'agenda outside the meeting',
      { ...good, agenda: [{ startsAt: good.checkAt ?? '2000-01-01T00:00:00Z', title: 'x' }] },
      /body\.agenda\.0\.startsAt: Mục chương trình phải nằm trong thời gian hội nghị/,
    ],
    [
      'title too long',
      { ...good, title: 'Â'.repeat(301) },
      /body\.title: Tên hội nghị dài tối đa 300 ký tự/,
    ],
    ['unknown field', { ...good, opensat: 'x' } as MeetingInput, /Unrecognized key: "opensat"/],
    [
      'site missing',
      { ...good, sites: [{ siteId: 'no-such-site' }], agenda: [] },
      /body\.sites\.0\.siteId: Không tìm thấy điểm cầu/,
    ],
    [
      'duplicate site',
      { ...good, sites: [good.sites[0]!, good.sites[0]!], agenda: [] },
      /body\.sites\.1\.siteId: Điểm cầu bị trùng/,
    ],
    [
      'bad head count',
      { ...good, sites: [{ siteId: districts[0]!.id, expectedCount: -1 }], agenda: [] },
      /body\.sites\.0\.expectedCount: Số người dự kiến phải là số nguyên/,
    ],
  ];
  for (const [name, payload, message] of cases) {
    const res = await call(api, 'POST', '/api/meetings', payload);
    t.equal(res.statusCode, 400, name);
    t.equal(res.json().code, 'bad_request', name);
    t.match(res.json().message.vi, message, name);
  }
  const notJson = await api.app.inject({
    method: 'POST',
    url: '/api/meetings',
    headers: { cookie: api.adminCookie, 'content-type': 'application/json' },
    payload: '{"title":',
  });
  t.equal(notJson.statusCode, 400, 'broken JSON is a 400, not a crash');
  t.same(await api.services.meetings.list(), [], 'nothing was stored');
});

t.test('names are NFC-normalized and trimmed', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const decomposed = '  Ho\u0300a Bi\u0300nh  '; // "Hòa Bình" with combining grave accents
  const res = await call(api, 'POST', '/api/sites', { name: decomposed, kind: 'other' });
  t.equal(res.statusCode, 201);
  t.equal(res.json().name, 'Hòa Bình');
  t.equal(res.json().name, 'Hòa Bình'.normalize('NFC'));
  const dup = await call(api, 'POST', '/api/sites', { name: 'HÒA BÌNH', kind: 'school' });
  t.equal(dup.statusCode, 409, 'the same name in another case or encoding is a duplicate');
  t.match(dup.json().message.vi, /Đã có điểm cầu tên/);
});

t.test(
  'lifecycle: explicit actions only; invalid ones answer 409 with the current state',
  async (t) => {
    const api = await buildTestApi(t, redis.url);
    const { main, districts } = await createHoaBinhSites(api);
    const seen: string[] = [];
    api.services.meetings.on('meetingStateChanged', (e) => seen.push(`${e.from}>${e.to}`));
    const scheduled: string[] = [];
    api.services.meetings.on('meetingScheduled', (m) => scheduled.push(m.id));
    const cancelled: string[] = [];
    api.services.meetings.on('meetingCancelled', (m) => cancelled.push(m.id));
    api.services.meetings.on('meetingScheduled', () => {
      throw new Error('a failing listener must not break the request');
    });
    const m = await createMeeting(api, briefingIn(20, main, districts));
    const act = (action: string, headers: Record<string, string> = {}) =>
      call(api, 'POST', `/api/meetings/${m.id}/actions/${action}`, undefined, headers);

    const early = await act('goLive');
    t.equal(early.statusCode, 409);
    t.equal(early.json().code, 'conflict');
    t.equal(early.json().details.state, 'draft');
    t.match(early.json().message.vi, /Bản nháp/);

    t.equal((await act('schedule')).json().state, 'scheduled');
    t.equal((await act('schedule')).json().details.state, 'scheduled', 'twice is a 409 too');
    t.equal((await act('startCheck')).json().state, 'checking');
    t.equal((await act('endCheck')).json().state, 'scheduled');
    t.equal((await act('startCheck')).json().state, 'checking');
    t.equal((await act('goLive')).json().state, 'live');
    const cancelLive = await act('cancel');
    t.equal(cancelLive.statusCode, 409);
    t.equal(cancelLive.json().details.state, 'live');
    const editLive = await call(api, 'PUT', `/api/meetings/${m.id}`, {
      ...briefingIn(20, main, districts),
      version: 6,
    });
    t.equal(editLive.statusCode, 200, 'a live meeting can be edited: its session follows');
    t.equal(editLive.json().state, 'live', 'editing does not change the state');
    t.equal((await act('end')).json().state, 'ended');
    t.equal((await act('reopen')).statusCode, 409);
    const unknown = await act('explode');
    t.equal(unknown.statusCode, 400);
    t.match(unknown.json().message.vi, /params\.action: Thao tác phải là một trong/);
    t.same(seen, [
      'draft>scheduled',
      'scheduled>checking',
      'checking>scheduled',
      'scheduled>checking',
      'checking>live',
      'live>ended',
    ]);
    t.same(scheduled, [m.id]);

    const m2 = await createMeeting(api, briefingIn(40, main, districts));
    t.equal(
      (await call(api, 'POST', `/api/meetings/${m2.id}/actions/cancel`)).json().state,
      'cancelled',
    );
    t.same(cancelled, [m2.id]);
    const stale = await call(api, 'POST', `/api/meetings/${m2.id}/actions/reopen`, { version: 1 });
    t.equal(stale.statusCode, 409);
    t.equal(stale.json().details.currentVersion, 2);
    t.equal(
      (
        await call(api, 'POST', `/api/meetings/${m2.id}/actions/reopen`, undefined, {
          'if-match': '"2"',
        })
      ).json().state,
      'draft',
    );

    const past = await createMeeting(api, briefingIn(-5, main, districts));
    const pastSchedule = await call(api, 'POST', `/api/meetings/${past.id}/actions/schedule`);
    t.equal(pastSchedule.statusCode, 409);
    t.match(pastSchedule.json().message.vi, /đã qua/);

    const missing = await call(
      api,
      'POST',
      '/api/meetings/00000000-0000-0000-0000-000000000000/actions/schedule',
    );
    t.equal(missing.statusCode, 404);
    t.match(missing.json().message, { vi: /Không tìm thấy hội nghị/, en: /Meeting not found/ });
  },
);

t.test(
  'updates: version required, stale version 409, time change event, default check follows',
  async (t) => {
    const api = await buildTestApi(t, redis.url);
    const { main, districts } = await createHoaBinhSites(api);
    const events: Parameters<
      MeetingServiceEvents['meetingTimesChanged'][0] extends never
        ? never
        : (...a: MeetingServiceEvents['meetingTimesChanged']) => void
    >[0][] = [];
    api.services.meetings.on('meetingTimesChanged', (e) => events.push(e));
    const input = briefingIn(20, main, districts);
    const m = await createMeeting(api, input);

    const noVersion = await call(api, 'PUT', `/api/meetings/${m.id}`, input);
    t.equal(noVersion.statusCode, 400);
    t.match(noVersion.json().message.vi, /version/);

    const renamed = await call(api, 'PUT', `/api/meetings/${m.id}`, {
      ...input,
      title: 'Giao ban tháng (sửa)',
      version: 1,
    });
    t.equal(renamed.statusCode, 200);
    t.equal(renamed.json().version, 2);
    t.equal(renamed.headers.etag, '"2"');
    t.equal(events.length, 0, 'no time change, no event');

    const stale = await call(api, 'PUT', `/api/meetings/${m.id}`, { ...input, version: 1 });
    t.equal(stale.statusCode, 409);
    t.equal(stale.json().code, 'conflict');
    t.same(stale.json().details, { currentVersion: 2 });
    const staleHeader = await call(api, 'PUT', `/api/meetings/${m.id}`, input, {
      'if-match': '"1"',
    });
    t.equal(staleHeader.statusCode, 409);

    // Move the meeting a week later, sending back the stored (default) check time.
    const current: Meeting = renamed.json();
    const shift = (iso: string) => toVietnamIso(Date.parse(iso) + 7 * 86_400_000);
    const moved = await call(api, 'PUT', `/api/meetings/${m.id}`, {
      ...input,
      opensAt: shift(input.opensAt),
      closesAt: shift(input.closesAt),
      agenda: input.agenda?.map((a) => ({ ...a, startsAt: shift(a.startsAt) })),
      checkAt: current.checkAt,
      version: 2,
    });
    t.equal(moved.statusCode, 200, moved.body);
    t.equal(moved.json().checkAt, shift(current.checkAt), 'a default check moves with the meeting');
    t.equal(events.length, 1);
    t.equal(events[0]!.previous.opensAt, input.opensAt);
    t.equal(events[0]!.meeting.opensAt, shift(input.opensAt));

    // A custom check time stays as set.
    const custom = toVietnamIso(Date.parse(moved.json().opensAt) - 3 * 86_400_000);
    const setCustom = await call(api, 'PUT', `/api/meetings/${m.id}`, {
      ...input,
      opensAt: moved.json().opensAt,
      closesAt: moved.json().closesAt,
      agenda: [],
      checkAt: custom,
      version: 3,
    });
    t.equal(setCustom.json().checkAt, custom);
    t.equal(setCustom.json().checkAtDefault, false);
    t.equal(setCustom.json().agenda.length, 0, 'PUT replaces: fields left out are cleared');

    const audit = await call(api, 'GET', `/api/meetings/${m.id}/audit`);
    t.equal(audit.statusCode, 200);
    const entries = audit.json().entries as {
      action: string;
      actor: { kind: string; name?: string };
      changes?: Record<string, unknown>;
    }[];
    t.same(
      entries.map((e) => e.action),
      ['meeting.update', 'meeting.update', 'meeting.update', 'meeting.create'],
    );
    t.equal(entries[0]!.actor.kind, 'admin');
    t.equal(entries[0]!.actor.name, 'admin');
    t.same(entries[3]!.changes?.title, [null, input.title]);
    t.same(entries[2]!.changes?.title, [input.title, 'Giao ban tháng (sửa)']);
    t.same(entries[1]!.changes?.opensAt, [input.opensAt, shift(input.opensAt)]);
  },
);

t.test('a site cannot be in two overlapping meetings (409 names the other meeting)', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const first = await createMeeting(api, briefingIn(30, main, districts));

  // Another department meeting at the same time sharing only Kim Bôi.
  const other: MeetingInput = {
    ...briefingIn(30, districts[7]!, [districts[0]!]),
    title: 'Họp chuyên đề Kim Bôi',
    agenda: [],
    mainSite: { siteId: districts[7]!.id },
    sites: [{ siteId: districts[0]!.id }],
  };
  const clash = await call(api, 'POST', '/api/meetings', { ...other, sites: [] });
  t.equal(clash.statusCode, 409);
  t.match(clash.json().message.vi, /Kim Bôi.*Hội nghị giao ban trực tuyến tháng/);
  t.equal(clash.json().details.meetingId, first.id);
  t.same(clash.json().details.siteIds, [districts[7]!.id]);

  // Back-to-back (opening at the first one's closing) is fine; [opening, closing) intervals.
  const after: MeetingInput = {
    ...other,
    opensAt: first.closesAt,
    closesAt: toVietnamIso(Date.parse(first.closesAt) + 3_600_000),
    sites: [],
  };
  const ok = await call(api, 'POST', '/api/meetings', after);
  t.equal(ok.statusCode, 201, ok.body);

  // Cancelling frees the sites; reopening checks again.
  await call(api, 'POST', `/api/meetings/${first.id}/actions/cancel`);
  const now = await call(api, 'POST', '/api/meetings', { ...other, sites: [] });
  t.equal(now.statusCode, 201);
  const reopen = await call(api, 'POST', `/api/meetings/${first.id}/actions/reopen`);
  t.equal(reopen.statusCode, 409);
  t.equal(reopen.json().details.meetingId, now.json().id);
});

t.test('concurrent creates cannot both take the same site', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const input = briefingIn(50, main, districts);
  const results = await Promise.all(
    Array.from({ length: 5 }, () => call(api, 'POST', '/api/meetings', input)),
  );
  t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409]);
});

t.test('deleting a meeting leaves nothing behind; sites in use cannot be deleted', async (t) => {
  const api = await buildTestApi(t, redis.url);
  const { main, districts } = await createHoaBinhSites(api);
  const before = await keysUnder(api.redis, api.prefix);
  const m = await createMeeting(api, briefingIn(20, main, districts));
  await call(api, 'POST', `/api/meetings/${m.id}/links/missing`);
  await call(api, 'POST', `/api/meetings/${m.id}/attachments/links`, {
    title: 'Tài liệu hội nghị',
    url: 'https://hoabinh.edu.vn/tai-lieu.pdf',
  });

  const inUse = await call(api, 'DELETE', `/api/sites/${districts[3]!.id}`);
  t.equal(inUse.statusCode, 409);
  t.match(inUse.json().message.vi, /Hội nghị giao ban/);

  await call(api, 'POST', `/api/meetings/${m.id}/actions/schedule`);
  const scheduledDelete = await call(api, 'DELETE', `/api/meetings/${m.id}`);
  t.equal(scheduledDelete.statusCode, 409, 'a scheduled meeting must be cancelled first');
  t.equal(scheduledDelete.json().details.state, 'scheduled');
  await call(api, 'POST', `/api/meetings/${m.id}/actions/cancel`);
  const deleted: string[] = [];
  api.services.meetings.on('meetingDeleted', (e) => deleted.push(e.meetingId));
  const del = await call(api, 'DELETE', `/api/meetings/${m.id}`);
  t.equal(del.statusCode, 200);
  t.same(deleted, [m.id]);
  t.equal((await call(api, 'GET', `/api/meetings/${m.id}`)).statusCode, 404);

  const after = (await keysUnder(api.redis, api.prefix)).filter(
    (k) => !k.endsWith(':audit') && !k.endsWith(':meetings:rev'),
  );
  t.same(
    after,
    before.filter((k) => !k.endsWith(':audit')),
    'no meeting, link or index keys left',
  );
  const global = await call(api, 'GET', '/api/audit?limit=1');
  t.equal(global.json().entries[0].action, 'meeting.delete');

  for (const s of [main, ...districts]) {
    t.equal((await call(api, 'DELETE', `/api/sites/${s.id}`)).statusCode, 200);
  }
  const left = (await keysUnder(api.redis, api.prefix)).filter(
    (k) =>
      !k.endsWith(':audit') &&
      !k.endsWith(':meetings:rev') &&
      !/:(user|users|username|session):?/.test(k),
  );
  t.same(left, [], 'only the audit trail, the counter and the admin account remain');
});
