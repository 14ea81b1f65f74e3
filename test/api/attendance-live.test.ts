import { setTimeout as sleep } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import type { AttendanceSummary, MeetingRecord } from '../../protocol/attendance.js';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { type Site, siteInputSchema } from '../../protocol/sites.js';
import { formatTime, vietnamParts } from '../../protocol/time.js';
import { clock } from '../../server/attendance/attendanceDocuments.js';
import {
  hoaBinhBriefing,
  hoaBinhDistrictSites,
  hoaBinhMainSite,
} from '../../server/demo/hoaBinh.js';
import { Service } from '../../server/Service.js';
import { tempDir, waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { freeRtcPortBase } from '../helpers/ports.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * A live session against the real server (signaling over socket.io, Redis): three sites confirm
 * attendance, one drops and comes back; the attendance report shows the head counts and the
 * dropout with its times, and the record of the meeting lists who had the floor and when.
 * Endpoints join without media: attendance is about presence, not frames.
 */

const system: Actor = { kind: 'system', name: 'test' };

async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  await waitFor(() => socket.connected, 10_000, 'socket connected');
  await request(socket, 'join', {});
  return socket;
}

function request(socket: Socket, name: string, payload: unknown): Promise<unknown> {
  return new Promise((ok, fail) => {
    socket.timeout(10_000).emit(
      name,
      payload,
      (
        err: Error | null,
        answer: {
          ok: boolean;
          data?: unknown;
          error?: { code: string; message: { en: string } };
        },
      ) => {
        if (err) fail(err);
        else if (answer.ok) ok(answer.data);
        else fail(new Error(`${name}: ${answer.error?.code} ${answer.error?.message.en}`));
      },
    );
  });
}

t.test('three sites confirm attendance, one drops and comes back; the record', async (t) => {
  t.setTimeout(120_000);
  const redis = await startTestRedis(t);
  const service = await Service.start({
    config: loadConfig({
      env: {
        REDIS_URL: redis.url,
        PORT: '0',
        HOST: '127.0.0.1',
        RTC_PORT_BASE: String(await freeRtcPortBase()),
        RTC_LISTEN_IP: '127.0.0.1',
        ANNOUNCED_ADDRESS: '127.0.0.1',
        MEDIASOUP_WORKERS: '1',
        DATA_DIR: tempDir(t, 'diemcau-attendance-'),
        LOG_LEVEL: 'warn',
      },
    }),
    logger: testLogger,
  });
  t.teardown(() => service.close('test done'));
  const { data } = service;
  const main = await data.sites.create(siteInputSchema.parse(hoaBinhMainSite), system);
  const sites: Site[] = [];
  for (const s of hoaBinhDistrictSites.slice(0, 3))
    sites.push(await data.sites.create(siteInputSchema.parse(s), system));
  const d = vietnamParts(Date.now() + 5 * 86_400_000);
  const input = meetingInputSchema.parse(
    hoaBinhBriefing({
      year: d.year,
      month: d.month,
      day: d.day,
      letterDate: '2011-10-21',
      mainSiteId: main.id,
      districtSiteIds: sites.map((s) => s.id),
    }),
  );
  input.sites = input.sites.map((p) => ({ ...p, expectedCount: 8 }));
  const created = await data.meetings.create(input, system);
  const meeting = await data.meetings.transition(created.id, 'schedule', system);
  const token = async (role: 'chair' | 'technician', siteId?: string) =>
    (await data.access.issueLink(meeting.id, { role, ...(siteId ? { siteId } : {}) }, system))
      .token;
  const chairToken = await token('chair');
  const siteTokens = await Promise.all(sites.map((s) => token('technician', s.id)));

  const http = (tok: string, method: string, path: string, body?: unknown) =>
    fetch(`${service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tok}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  const chair = await connect(service.url, chairToken);
  const siteSockets = await Promise.all(siteTokens.map((tok) => connect(service.url, tok)));
  t.teardown(() => {
    chair.close();
    for (const s of siteSockets) s.close();
  });
  await request(chair, 'startSession', {});

  // Each site confirms its roles and head count, pre-filled from the composition.
  const heads = [8, 7, 9];
  for (const [i, s] of sites.entries()) {
    const view = (await (await http(siteTokens[i]!, 'GET', '/api/me/meeting')).json()) as {
      sites: { composition: { role: string; count?: number }[] }[];
    };
    const roles = view.sites[0]!.composition.map((c) => ({ role: c.role, present: 1 }));
    const res = await http(
      siteTokens[i]!,
      'PUT',
      `/api/meetings/${meeting.id}/attendance/sites/${s.id}`,
      {
        roles,
        headCount: heads[i],
      },
    );
    t.equal(res.status, 200, await res.clone().text());
  }
  const foreign = await http(
    siteTokens[0]!,
    'PUT',
    `/api/meetings/${meeting.id}/attendance/sites/${sites[1]!.id}`,
    { roles: [], headCount: 1 },
  );
  t.equal(foreign.status, 403, 'a site confirms only for itself');
  const tooFew = await http(
    siteTokens[0]!,
    'PUT',
    `/api/meetings/${meeting.id}/attendance/sites/${sites[0]!.id}`,
    {
      roles: [{ role: 'Trưởng phòng GD&ĐT', present: 3 }],
      headCount: 2,
    },
  );
  t.equal(tooFew.status, 400);

  // The floor: site 1, then site 2; site 3 drops and comes back meanwhile.
  await request(chair, 'grantFloor', { siteId: sites[0]!.id });
  await sleep(1200);
  await request(chair, 'grantFloor', { siteId: sites[1]!.id });
  siteSockets[2]!.close();
  await sleep(1200);
  siteSockets[2] = await connect(service.url, siteTokens[2]!);
  await sleep(300);
  await request(chair, 'revokeFloor', {});
  await request(chair, 'setAgendaItem', { index: 1 });

  // The secretary (the chair) notes a conclusion.
  const note = await http(chairToken, 'PUT', `/api/meetings/${meeting.id}/minutes/1`, {
    conclusion: 'Các phòng GD&ĐT hoàn thành báo cáo PCGD mầm non trước ngày 15/11.',
  });
  t.equal(note.status, 200, await note.clone().text());
  await request(chair, 'endSession', {});
  await sleep(500);

  const summary = (await waitFor(
    async () => {
      const s = (await (
        await http(chairToken, 'GET', `/api/meetings/${meeting.id}/attendance`)
      ).json()) as AttendanceSummary;
      return s.rows.every((r) => r.intervals.length > 0) ? s : undefined;
    },
    5000,
    'attendance recorded',
  ))!;
  t.same(summary.totals, {
    sites: 3,
    confirmed: 3,
    expected: 24,
    present: 24,
    online: summary.totals.online,
  });
  const dropped = summary.rows.find((r) => r.siteId === sites[2]!.id)!;
  t.equal(dropped.intervals.length, 2, 'two connections');
  t.equal(dropped.dropouts, 1, 'one dropout');
  t.ok(dropped.intervals[0]!.leftAt, 'the dropout has its time');
  const gapMs =
    Date.parse(dropped.intervals[1]!.joinedAt) - Date.parse(dropped.intervals[0]!.leftAt!);
  t.ok(gapMs >= 1000 && gapMs < 5000, `away ${gapMs} ms`);
  t.equal(summary.rows.find((r) => r.siteId === sites[0]!.id)!.dropouts, 0);

  const report = await (
    await http(chairToken, 'GET', `/api/meetings/${meeting.id}/attendance/report.html`)
  ).text();
  t.match(report, 'Báo cáo tình hình tham dự');
  t.match(
    report,
    `${clock(dropped.intervals[0]!.joinedAt)}–${clock(dropped.intervals[0]!.leftAt!)}; ${clock(dropped.intervals[1]!.joinedAt)}–`,
    'the dropout with its times',
  );
  t.match(report, '<td class="c short">7</td>', 'a site below its expected count stands out');
  const csvBytes = Buffer.from(
    await (
      await http(chairToken, 'GET', `/api/meetings/${meeting.id}/attendance/report.csv`)
    ).arrayBuffer(),
  );
  t.same([...csvBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for spreadsheets');
  const csv = csvBytes.subarray(3).toString('utf8');
  t.match(csv, /^Điểm cầu,Dự kiến,Có mặt/);
  t.match(csv, new RegExp(`${sites[2]!.name},8,9,`));

  const record = (await (
    await http(chairToken, 'GET', `/api/meetings/${meeting.id}/record`)
  ).json()) as MeetingRecord;
  t.same(
    record.floor.map((f) => f.siteId),
    [sites[0]!.id, sites[1]!.id],
    'who had the floor, in order',
  );
  const first = record.floor[0]!;
  const held = Date.parse(first.to!) - Date.parse(first.from);
  t.ok(held >= 1000 && held < 4000, `site 1 held the floor ${held} ms`);
  t.ok(record.floor[1]!.to, 'the floor was taken back');
  const html = await (
    await http(chairToken, 'GET', `/api/meetings/${meeting.id}/record.html`)
  ).text();
  t.match(html, 'Biên bản hội nghị');
  t.match(html, 'Các phòng GD&amp;ĐT hoàn thành báo cáo PCGD mầm non trước ngày 15/11.');
  t.match(html, `<td>${sites[0]!.name}</td><td class="c">${formatTime(first.from)}</td>`);
  const asSite = await http(siteTokens[0]!, 'GET', `/api/meetings/${meeting.id}/record.html`);
  t.equal(asSite.status, 403, 'the record is for IT staff and the chair');
});
