import { setTimeout as sleep } from 'node:timers/promises';
import { strFromU8, unzipSync } from 'fflate';
import t from 'tap';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting } from '../../protocol/meetings.js';
import type {
  ReportBoard,
  ReportRequest,
  ReportRequestInput,
  SiteReport,
  SiteReportList,
} from '../../protocol/reports.js';
import { formatDateTime } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { InAppChannel } from '../../server/notify/InAppChannel.js';
import { type NotificationMessage, Notifier } from '../../server/notify/Notifier.js';
import { ReportReminders } from '../../server/reports/ReportReminders.js';
import { buildTestApi, createHoaBinhSites, keysUnder, type TestApi } from '../helpers/dataApi.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

const redis = await startTestRedis(t);

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const asAdmin = (api: TestApi, method: Method, url: string, payload?: unknown) =>
  api.app.inject({
    method,
    url,
    headers: { cookie: api.adminCookie },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
const asLink = (api: TestApi, token: string, method: Method, url: string, payload?: unknown) =>
  api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });

/** Seed 002, III.1–2: what each district office reports (results, kindergarten universalization, difficulties, proposals). */
const seed002Outline: ReportRequestInput['sections'] = [
  {
    id: 'ket-qua',
    number: '1',
    title: 'Kết quả thực hiện nhiệm vụ GD&ĐT tháng 8, 9, 10/2011',
    hint: 'Của phòng GD&ĐT và các đơn vị trực thuộc trên địa bàn.',
  },
  {
    id: 'pcgd-mn',
    number: '2',
    title: 'Thực hiện PCGD Mầm non cho trẻ em năm tuổi',
    hint: 'Kết quả đạt được đến thời điểm hiện tại.',
  },
  { id: 'kho-khan', number: '3', title: 'Khó khăn, tồn tại, yếu kém' },
  { id: 'kien-nghi', number: '4', title: 'Đề xuất, kiến nghị', required: false },
];

function multipart(name: string, filename: string, data: Buffer) {
  const boundary = '----diemcau-report-boundary';
  return {
    payload: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

const DAY_MS = 3500;

t.test(
  'seed 002 replayed: reports 7 days before from each district office, reminders, board, .docx',
  async (t) => {
    // The meeting of 01/11/2011 07:30, replayed with a clock that stands 15 s before the
    // deadline "7 days before" (25/10/2011 07:30); "days" of reminder leads last 3.5 s, so the
    // 3-day reminder goes at -10.5 s and the 1-day one at -3.5 s.
    const opensAt = Date.parse('2011-11-01T07:30:00+07:00');
    const deadline = opensAt - 7 * 86_400_000;
    let offset = deadline - 15_000 - Date.now();
    const now = () => Date.now() + offset;
    const api = await buildTestApi(t, redis.url, { now });
    const { main, districts } = await createHoaBinhSites(api);
    const created = await asAdmin(
      api,
      'POST',
      '/api/meetings',
      hoaBinhBriefing({
        year: 2011,
        month: 11,
        day: 1,
        letterDate: '2011-10-21',
        mainSiteId: main.id,
        districtSiteIds: districts.map((d) => d.id),
      }),
    );
    t.equal(created.statusCode, 201, created.body);
    const meeting = created.json() as Meeting;

    const delivered: NotificationMessage[] = [];
    const inApp = new InAppChannel(api.services.store);
    const notifier = new Notifier({
      store: api.services.store,
      channels: [inApp],
      logger: testLogger,
    });
    notifier.on('delivered', (m) => delivered.push(m));
    const reminders = await ReportReminders.create({
      redisUrl: redis.url,
      store: api.services.store,
      meetings: api.services.meetings,
      sites: api.services.sites,
      reports: api.services.reports,
      notifier,
      logger: testLogger,
      dayMs: DAY_MS,
      backoffMs: 200,
      now,
    });
    t.teardown(() => reminders.close());

    // IT copies the built-in templates' idea: the outline of seed 002, 7 days before, every office.
    const templates = await asAdmin(api, 'GET', '/api/report-templates');
    t.same(
      templates.json().templates.map((x: { id: string }) => x.id),
      ['seed-004-tong-ket', 'seed-000-so-ket-hoc-ky'],
    );
    offset = deadline - 15_000 - Date.now();
    const asked = await asAdmin(api, 'POST', `/api/meetings/${meeting.id}/report-requests`, {
      title: 'Báo cáo kết quả thực hiện nhiệm vụ GD&ĐT 3 tháng (tháng 8, 9, 10/2011)',
      instructions: 'Gửi báo cáo trước 1 tuần để thống nhất nội dung báo cáo tại hội nghị.',
      siteIds: districts.map((d) => d.id),
      sections: seed002Outline,
      deadline: { kind: 'relative', days: 7, direction: 'before' },
      reminderDays: 3,
    } satisfies ReportRequestInput);
    t.equal(asked.statusCode, 201, asked.body);
    const request = asked.json() as ReportRequest;
    t.equal(request.deadlineAt, new Date(deadline).toISOString(), '7 days before the opening');
    t.equal(formatDateTime(request.deadlineAt), '07:30 25/10/2011');
    await reminders.settled();
    t.equal(
      (await reminders.jobIds(request.id)).length,
      22,
      'two reminders for each of 11 offices',
    );

    // Links: technicians for offices A and C, a reporter link for office B, D drafts only.
    const issue = async (role: 'technician' | 'reporter', siteId: string) => {
      const res = await asAdmin(api, 'POST', `/api/meetings/${meeting.id}/links`, { role, siteId });
      t.equal(res.statusCode, 201, res.body);
      return (res.json() as IssuedLink).token;
    };
    const [A, B, C, D] = districts as [
      (typeof districts)[0],
      (typeof districts)[0],
      (typeof districts)[0],
      (typeof districts)[0],
    ];
    const techA = await issue('technician', A.id);
    const reporterB = await issue('reporter', B.id);
    const techC = await issue('technician', C.id);
    const reporterD = await issue('reporter', D.id);
    const base = `/api/meetings/${meeting.id}/report-requests/${request.id}/sites`;

    const mine = await asLink(api, reporterB, 'GET', `/api/meetings/${meeting.id}/my-reports`);
    t.equal(mine.statusCode, 200, mine.body);
    const list = mine.json() as SiteReportList;
    t.equal(list.reports.length, 1);
    t.equal(list.reports[0]!.report.status, 'not-started');

    // A: a draft, then submits on time.
    const textA = {
      'ket-qua': 'Phòng GD&ĐT thành phố Hòa Bình hoàn thành kế hoạch tuyển sinh đầu năm học.',
      'pcgd-mn': 'Đạt chuẩn phổ cập giáo dục mầm non cho trẻ em năm tuổi ở 12/15 xã, phường.',
      'kho-khan': 'Thiếu phòng học mầm non ở các xã vùng cao.',
    };
    const draftA = await asLink(api, techA, 'PUT', `${base}/${A.id}`, {
      sections: { 'ket-qua': textA['ket-qua'] },
    });
    t.equal(draftA.statusCode, 200, draftA.body);
    t.equal((draftA.json() as SiteReport).status, 'draft');
    const incomplete = await asLink(api, techA, 'POST', `${base}/${A.id}/submit`, {});
    t.equal(incomplete.statusCode, 400, 'required sections missing');
    t.match(incomplete.json().message.vi, /^Mục bắt buộc chưa có nội dung: 2\. Thực hiện PCGD/);
    t.match(
      incomplete.json().fields,
      [{ path: 'body.sections.pcgd-mn', message: { vi: /Mục bắt buộc/, en: /required/ } }],
      'each empty section named as a field',
    );
    const sentA = await asLink(api, techA, 'POST', `${base}/${A.id}/submit`, {
      sections: textA,
      version: 1,
    });
    t.equal(sentA.statusCode, 200, sentA.body);
    t.equal((sentA.json() as SiteReport).status, 'submitted');
    const again = await asLink(api, techA, 'PUT', `${base}/${A.id}`, { sections: {} });
    t.equal(again.statusCode, 409, 'a received report is closed');
    t.match(again.json().message.vi, /^Báo cáo đã được nhận lúc \d\d:\d\d \d\d\/\d\d\/\d{4}/);

    // D: a draft only (it never submits).
    const draftD = await asLink(api, reporterD, 'PUT', `${base}/${D.id}`, {
      sections: { 'ket-qua': 'Bản nháp chưa hoàn thiện của huyện.' },
    });
    t.equal(draftD.statusCode, 200, draftD.body);

    // Re-planning before any reminder went out adds nothing.
    await reminders.sync(await api.services.reports.get(meeting.id, request.id));

    // B submits between the two reminders (at -7 s, not after a fixed pause: on a busy machine
    // the steps before take longer), with its report as an uploaded document.
    await sleep(Math.max(0, deadline - 7_000 - now()));
    t.ok(now() < deadline - DAY_MS, 'B submits before the 1-day reminder is due');
    const upload = multipart('file', 'Báo cáo Đà Bắc.pdf', Buffer.from('%PDF-1.4 báo cáo'));
    const up = await api.app.inject({
      method: 'POST',
      url: `${base}/${B.id}/document`,
      headers: { authorization: `Bearer ${reporterB}`, 'content-type': upload.contentType },
      payload: upload.payload,
    });
    t.equal(up.statusCode, 200, up.body);
    const textB = {
      'ket-qua': 'Các trường trên địa bàn huyện ổn định nền nếp, dạy học đúng chương trình.',
      'kien-nghi': 'Đề nghị Sở GD&ĐT bổ sung biên chế giáo viên mầm non.',
    };
    const sentB = await asLink(api, reporterB, 'POST', `${base}/${B.id}/submit`, {
      sections: textB,
    });
    t.equal(sentB.statusCode, 200, 'a document stands in for the required sections');
    t.equal((sentB.json() as SiteReport).status, 'submitted');

    // After the deadline: C is received, marked late.
    await sleep(Math.max(0, deadline - now() + 500));
    const textC = {
      'ket-qua': 'Huyện Mai Châu đạt và vượt các chỉ tiêu tháng 8, 9, 10.',
      'pcgd-mn': 'Huy động 99,5% trẻ em năm tuổi ra lớp.',
      'kho-khan': 'Cơ sở vật chất còn thiếu; giáo viên mầm non còn thiếu so với định mức.',
    };
    const sentC = await asLink(api, techC, 'POST', `${base}/${C.id}/submit`, { sections: textC });
    t.equal(sentC.statusCode, 200, sentC.body);
    const late = sentC.json() as SiteReport;
    t.equal(late.status, 'late', 'late is received, not refused');
    t.ok(Date.parse(late.submittedAt!) > deadline);

    // Reminders: 3 "days" before to every office but A; 1 "day" before to all but A and B.
    await reminders.sync(await api.services.reports.get(meeting.id, request.id));
    await reminders.settled();
    const keys = delivered.map((m) => m.key);
    t.equal(new Set(keys).size, keys.length, 'each reminder sent once');
    const to = (lead: number) =>
      delivered
        .filter((m) => (m.data as { leadDays: number }).leadDays === lead)
        .map((m) => m.siteId)
        .sort();
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
    t.same(to(3), ids(districts.filter((d) => d.id !== A.id)));
    t.same(to(1), ids(districts.filter((d) => d.id !== A.id && d.id !== B.id)));
    t.match(delivered[0]!.title.vi, /^Nhắc nộp báo cáo trước 07:30 25\/10\/2011/);
    const again2 = await notifier.send(delivered[0]!);
    t.same(again2.sent, [], 'the same reminder never goes twice');

    // The board: four states, overdue highlighted, received times.
    const boardRes = await asAdmin(
      api,
      'GET',
      `/api/meetings/${meeting.id}/report-requests/${request.id}/board`,
    );
    t.equal(boardRes.statusCode, 200, boardRes.body);
    const board = boardRes.json() as ReportBoard;
    t.same(board.counts, { 'not-started': 7, draft: 1, submitted: 2, late: 1 });
    const row = (id: string) => board.rows.find((r) => r.siteId === id)!;
    t.equal(row(A.id).status, 'submitted');
    t.equal(row(B.id).status, 'submitted');
    t.equal(row(C.id).status, 'late');
    t.equal(row(D.id).status, 'draft');
    t.ok(row(D.id).overdue && !row(A.id).overdue && !row(C.id).overdue);
    t.equal(board.rows.filter((r) => r.overdue).length, 8);
    t.ok(row(A.id).submittedAt);

    // The consolidated .docx, parsed back.
    const docx = await asAdmin(
      api,
      'GET',
      `/api/meetings/${meeting.id}/report-requests/${request.id}/consolidated.docx`,
    );
    t.equal(docx.statusCode, 200);
    const files = unzipSync(new Uint8Array(docx.rawPayload));
    const xml = strFromU8(files['word/document.xml']!);
    const text = [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)]
      .map((m) => m[1])
      .join('\n')
      .replaceAll('&amp;', '&');
    t.match(text, 'BÁO CÁO TỔNG HỢP');
    t.match(text, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    for (const s of seed002Outline) t.match(text, `${s.number}. ${s.title}`, `heading ${s.number}`);
    for (const para of [...Object.values(textA), ...Object.values(textB), ...Object.values(textC)])
      t.match(text, para, 'each received report under its heading');
    t.notMatch(text, 'Bản nháp chưa hoàn thiện', 'a draft is not consolidated');
    const pos = (s: string) => text.indexOf(s);
    t.ok(
      pos('1. Kết quả thực hiện') < pos(textA['ket-qua']) &&
        pos(textA['ket-qua']) < pos('2. Thực hiện PCGD') &&
        pos('2. Thực hiện PCGD') < pos(textC['pcgd-mn']) &&
        pos(textC['pcgd-mn']) < pos('3. Khó khăn'),
      'texts sit under their own heading',
    );
    t.match(text, `${C.name}: nhận lúc`);
    t.match(text, '(nộp muộn)');
    t.match(text, 'Báo cáo Đà Bắc.pdf');
    const html = await asAdmin(
      api,
      'GET',
      `/api/meetings/${meeting.id}/report-requests/${request.id}/consolidated.html`,
    );
    t.equal(html.statusCode, 200);
    t.match(html.body, '<h2>2. Thực hiện PCGD Mầm non cho trẻ em năm tuổi</h2>');

    // Deleting the request leaves nothing of it behind.
    const del = await asAdmin(
      api,
      'DELETE',
      `/api/meetings/${meeting.id}/report-requests/${request.id}`,
    );
    t.equal(del.statusCode, 200, del.body);
    const left = (await keysUnder(api.redis, api.prefix)).filter(
      (k) => k.includes('report-request') && !k.includes(':bull:'),
    );
    t.same(left, []);
  },
);
