import t from 'tap';
import { describeZodError } from '../../protocol/errors.js';
import { isoDateTime, localDate, text } from '../../protocol/fields.js';
import { attachmentLinkInputSchema } from '../../protocol/meetings.js';
import { checklistInputSchema } from '../../protocol/readiness.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { requests } from '../../protocol/socket.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { buildTestApi, createHoaBinhSites } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';
import {
  fullChecklist,
  handshake,
  type ServiceStack,
  startServiceStack,
} from '../helpers/serviceStack.js';

/*
 * One free-text rule, real calendar dates, valid UTF-8, no writes after the meeting ended, no
 * link born expired, and the admin socket's meetingId checked like every id (issue 10).
 */

const RLO = '\u202E';
const label = { vi: 'Trường', en: 'Field' };

t.test('one free-text rule in the shared field schemas', async (t) => {
  const line = text(label, 200);
  const lines = text(label, 200, { multiline: true });
  for (const [name, value] of [
    ['NUL', 'a\u0000b'],
    ['ESC', 'a\u001b[31mb'],
    ['C1 (CSI)', 'a\u009bb'],
    ['RLO', `invoice${RLO}fdp.zip`],
    ['LRE', 'a\u202Ab'],
    ['isolate', 'a\u2067b\u2069'],
    ['tab', 'a\tb'],
    ['broken bytes (U+FFFD)', 'Th\uFFFD\uFFFD'],
  ] as const) {
    t.notOk(line.safeParse(value).success, `single line refuses ${name}`);
    t.notOk(lines.safeParse(value).success, `multiline refuses ${name}`);
  }
  t.notOk(line.safeParse('a\nb').success, 'single line refuses a newline');
  t.ok(lines.safeParse('Dòng 1\nDòng 2').success, 'multiline keeps newlines');
  t.equal(lines.parse('Dòng 1\r\nDòng 2'), 'Dòng 1\nDòng 2', 'CRLF from a form becomes a newline');
  t.ok(line.safeParse('Phòng GD&ĐT Đà Bắc (مدرسة)').success, 'right-to-left letters are fine');

  const note = (n: string) =>
    checklistInputSchema.safeParse({
      ...fullChecklist,
      note: n,
    });
  t.notOk(note('Máy phát\u0000').success, 'checklist note: NUL');
  t.notOk(note(`Máy ${RLO}phát`).success, 'checklist note: RLO');
  t.ok(note('Máy phát điện dự phòng\nđã thử').success, 'checklist note: multiline');
  const site = siteInputSchema.safeParse({ name: `Trường ${RLO}abc`, kind: 'school' });
  t.notOk(site.success, 'site name');
  if (!site.success) t.match(describeZodError(site.error), /^name: /);
  t.notOk(
    attachmentLinkInputSchema.safeParse({ title: `a${RLO}b`, url: 'https://sogd.vn/x.pdf' })
      .success,
    'document link title',
  );
  t.notOk(
    requests.join.payload.safeParse({ displayName: `IT${RLO}` }).success,
    'join display name',
  );
  t.notOk(
    requests.endSession.payload.safeParse({ reason: 'x\u001b' }).success,
    'end-session reason',
  );
});

t.test('dates are real calendar dates', async (t) => {
  const at = isoDateTime(label);
  t.notOk(at.safeParse('2027-02-30T07:30:00+07:00').success, '30 February');
  t.notOk(at.safeParse('2027-02-29T07:30:00+07:00').success, '29 February in a common year');
  t.ok(at.safeParse('2028-02-29T07:30:00+07:00').success, '29 February in a leap year');
  t.notOk(at.safeParse('2027-04-31T07:30:00+07:00').success, '31 April');
  t.ok(at.safeParse('2027-12-31T23:59:59+07:00').success);
  const day = localDate(label);
  t.notOk(day.safeParse('2027-02-30').success, 'a letter dated 30 February');
  t.ok(day.safeParse('2027-02-28').success);
});

t.test('links are not issued already expired', async (t) => {
  const redis = await startTestRedis(t);
  let now = Date.now();
  const api = await buildTestApi(t, redis.url, { now: () => now });
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
  t.equal(created.statusCode, 201, created.body);
  const meeting = created.json();
  now = Date.parse(meeting.closesAt) + 7 * 3600_000;
  const res = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/links`,
    headers: { cookie: api.adminCookie },
    payload: { role: 'chair' },
  });
  t.equal(res.statusCode, 409, 'refused');
  t.equal(res.json().code, 'conflict');
  const missing = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/links/missing`,
    headers: { cookie: api.adminCookie },
  });
  t.equal(missing.statusCode, 409, 'the missing links too');
});

t.test('against the service', async (t) => {
  const stack: ServiceStack = await startServiceStack(t);
  const { service, meeting } = stack;
  const asAdmin = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    service.app.inject({
      method,
      url,
      headers: { cookie: stack.adminCookie },
      payload: payload as Record<string, unknown>,
    });

  t.test('an impossible date is refused naming the field', async (t) => {
    const input = {
      ...hoaBinhBriefing({
        year: 2027,
        month: 2,
        day: 26,
        letterDate: '2027-01-21',
        mainSiteId: stack.main.id,
        districtSiteIds: stack.districts.map((d) => d.id),
      }),
      opensAt: '2027-02-30T07:30:00+07:00',
    };
    const res = await asAdmin('POST', '/api/meetings', input);
    t.equal(res.statusCode, 400);
    t.match(res.json().message.vi, /body\.opensAt/);
  });

  t.test('bodies that are not UTF-8 are refused', async (t) => {
    const body = Buffer.concat([
      Buffer.from('{"name":"Th'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from('","kind":"school"}'),
    ]);
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { cookie: stack.adminCookie, 'content-type': 'application/json' },
      payload: body,
    });
    t.equal(res.statusCode, 400);
    t.equal(res.json().code, 'bad_request');
    t.match(res.json().message.vi, /UTF-8/);
  });

  t.test('uploaded file names and titles follow the text rule', async (t) => {
    const upload = (filename: string, title: string) => {
      const boundary = '----diemcau-rules';
      const payload = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/zip\r\n\r\nPK\u0003\u0004\r\n--${boundary}--\r\n`,
        ),
      ]);
      return service.app.inject({
        method: 'POST',
        url: `/api/meetings/${meeting.id}/attachments`,
        headers: {
          cookie: stack.adminCookie,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload,
      });
    };
    const bidiName = await upload(`invoice${RLO}fdp.zip`, 'Hóa đơn');
    t.equal(bidiName.statusCode, 400, 'a file name with RLO');
    t.match(bidiName.json().message.vi, /body\.file/);
    const escTitle = await upload('hoa-don.zip', 'Hóa đơn\u001b[2J');
    t.equal(escTitle.statusCode, 400, 'a title with ESC');
    t.match(escTitle.json().message.vi, /body\.title/);
    t.equal((await upload('hoa-don.zip', 'Hóa đơn tháng 10')).statusCode, 201, 'a plain one');
  });

  t.test("the admin socket's meetingId is checked like every id", async (t) => {
    const answer = await handshake(
      service.url,
      { meetingId: `${meeting.id}:links` },
      { cookie: stack.adminCookie },
    );
    if (answer.ok) answer.socket.close();
    t.equal(answer.ok ? 'connected' : answer.code, 'bad_request');
  });

  t.test('checklist and readiness writes are refused once the meeting ended', async (t) => {
    const site = stack.districts[0]!.id;
    const checklist = fullChecklist;
    const url = `/api/meetings/${meeting.id}/sites/${site}/checklist`;
    t.equal((await asAdmin('PUT', url, checklist)).statusCode, 200, 'before: accepted');
    for (const action of ['goLive', 'end']) {
      const res = await asAdmin('POST', `/api/meetings/${meeting.id}/actions/${action}`, {});
      t.equal(res.statusCode, 200, `${action}: ${res.body}`);
    }
    const after = await asAdmin('PUT', url, checklist);
    t.equal(after.statusCode, 409, 'after: checklist refused');
    const check = await asAdmin('POST', `/api/meetings/${meeting.id}/checks`, {});
    t.equal(check.statusCode, 409, 'after: check-now refused');
  });
});
