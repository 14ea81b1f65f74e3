// runs alone: it judges timing that a second file beside it would skew on 2 cores.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import type { BroadcastStatus } from '../../protocol/broadcast.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { SESSION_COOKIE } from '../../server/auth/AdminAccounts.js';
import { artifactPath, launchChromium, openPage, waitFor } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { centreColours, decodeAll, probe } from '../helpers/mediaProbe.js';
import { startTestService } from '../helpers/service.js';

// The programme of a real session (station + two sites in Chromium, the floor moved once),
// recorded through the real SFU, composer and encoder, and checked with ffprobe/ffmpeg.
const admin: Actor = { kind: 'system', name: 'test' };
const cam = { width: 320, height: 180 };
const BLUE = '#1030d0';
const RED = '#d02010';
const GREEN = '#10b020';

function freeTcpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

const isBlue = ([r, g, b]: number[]) => b! > 120 && b! > r! + 50 && b! > g! + 50;
const isRed = ([r, g, b]: number[]) => r! > 120 && r! > g! + 50 && r! > b! + 50;

t.test('programme: record the session, follow the floor, survive an encoder crash', async (t) => {
  t.setTimeout(240_000);
  // Small and cheap: two cores are shared with Chromium and the SFU.
  const svc = await startTestService(t, {
    name: 'broadcast',
    env: {
      PROGRAMME_WIDTH: '320',
      PROGRAMME_HEIGHT: '180',
      PROGRAMME_FPS: '15',
      PROGRAMME_PRESET: 'ultrafast',
      PROGRAMME_VIDEO_KBPS: '400',
    },
  });
  const dataDir = svc.config.dataDir;
  const { data } = svc;

  await data.access.accounts.createUser('admin', 'mat-khau-rat-dai-2011', admin);
  const { sessionId } = await data.access.accounts.login('admin', 'mat-khau-rat-dai-2011');
  const itHeaders = { cookie: `${SESSION_COOKIE}=${sessionId}` };
  const main = await data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    admin,
  );
  const a = await data.sites.create(
    siteInputSchema.parse({ name: 'Phòng GD&ĐT Lạc Sơn', kind: 'district_office' }),
    admin,
  );
  const b = await data.sites.create(
    siteInputSchema.parse({ name: 'Phòng GD&ĐT Yên Thủy', kind: 'district_office' }),
    admin,
  );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const created = await data.meetings.create(
    meetingInputSchema.parse({
      title: 'Hội nghị giao ban trực tuyến',
      banner: 'HỘI NGHỊ TỔNG KẾT NĂM HỌC',
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(now + 3_600_000),
      closesAt: iso(now + 7_200_000),
      checkAt: iso(now + 1_800_000),
      mainSite: { siteId: main.id },
      sites: [{ siteId: a.id }, { siteId: b.id }],
      agenda: [{ startsAt: iso(now + 3_600_000), title: 'Khai mạc' }],
    }),
    admin,
  );
  const meeting = await data.meetings.transition(created.id, 'schedule', admin);
  const link = async (role: 'station' | 'chair' | 'technician', siteId?: string) =>
    (await data.access.issueLink(meeting.id, { role, ...(siteId ? { siteId } : {}) }, admin)).token;
  const tokens = {
    station: await link('station'),
    chair: await link('chair'),
    a: await link('technician', a.id),
    b: await link('technician', b.id),
  };
  const chairHeaders = { authorization: `Bearer ${tokens.chair}` };
  const api = (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ) =>
    svc.app.inject({
      method,
      url: `/api/meetings/${meeting.id}${path}`,
      headers,
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });
  const status = async () => (await api('GET', '/broadcast', itHeaders)).json<BroadcastStatus>();

  const early = await api('POST', '/recording/start', chairHeaders);
  t.equal(early.statusCode, 409, 'no recording before anyone is connected');
  t.equal(
    (await api('POST', '/recording/start', { authorization: `Bearer ${tokens.a}` })).statusCode,
    403,
    'a site technician cannot record',
  );

  const browser = await launchChromium(t);
  const station = await startEndpoint(browser, svc.url, 'station', {
    token: tokens.station,
    camera: { ...cam, color: BLUE },
    microphone: true,
  });
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: tokens.chair,
    send: false,
  });
  const siteA = await startEndpoint(browser, svc.url, 'site A', {
    token: tokens.a,
    camera: { ...cam, color: RED },
    microphone: true,
  });
  const siteB = await startEndpoint(browser, svc.url, 'site B', {
    token: tokens.b,
    camera: { ...cam, color: GREEN },
    microphone: true,
  });
  const auto = await api('PUT', '/broadcast/settings', itHeaders, { recordWithSession: true });
  t.equal(auto.statusCode, 200, 'IT sets the meeting to record with the session');
  await chair.request('startSession');
  await waitFor(async () => (await status()).recording.recording, 10_000, 'recording by itself');
  t.pass('the recording starts with the session');
  await api('POST', '/recording/stop', chairHeaders);
  await waitFor(async () => !(await status()).encoder.running, 10_000, 'composer stopped');
  await api('PUT', '/broadcast/settings', itHeaders, { recordWithSession: false });
  const segmentsBefore = (await status()).segments.length;
  await chair.request('setAgendaItem', { index: 0 });
  await waitForMedia(siteB, 'station', 'camera', 15_000);
  t.pass('the session runs: site B sees the main point');

  const live = svc.broadcast.programme(meeting.id)!;
  t.ok(live, 'the broadcast module follows the open session');

  await t.test('20 s recorded with the floor moved once', async (t) => {
    const started = await api('POST', '/recording/start', chairHeaders);
    t.equal(started.statusCode, 200, 'the chair starts the recording');
    t.equal(started.json().recording, true);
    const opened = await waitFor(
      () => live.programmeRunning && (live.programmeRunning.encoder.pid ?? 0) > 0,
      5000,
      'composer running',
    );
    t.ok(opened);
    const openedAt = await new Promise<number>((ok) =>
      live.programmeRunning!.once('segmentOpened', () => ok(Date.now())),
    );
    for (const ep of [siteA, siteB, station]) {
      await waitFor(
        async () => (await ep.log()).includes('recordingChanged:true'),
        5000,
        `${ep.name} told "Đang ghi hình"`,
      );
    }
    t.pass('every page is told the recording runs');

    await sleep(10_000 - (Date.now() - openedAt));
    const floorAt = Date.now() - openedAt;
    await chair.request('grantFloor', { siteId: a.id });
    await sleep(20_000 - (Date.now() - openedAt));
    const stopped = await api('POST', '/recording/stop', itHeaders);
    const stoppedAt = Date.now() - openedAt;
    t.equal(stopped.statusCode, 200, 'IT stops the recording');
    await waitFor(
      async () => {
        const { segments } = await status();
        return segments.length > segmentsBefore && segments.at(-1)!.durationMs !== undefined;
      },
      // The composer finishes the MP4 after EOS; on a loaded 2-core machine that once took > 10 s.
      30_000,
      'segment finished',
    );
    const { segments } = await status();
    t.equal(segments.length, segmentsBefore + 1, 'one more segment');
    const seg = segments.at(-1)!;
    t.ok(seg.bytes > 10_000, `listed with its size (${seg.bytes} B)`);
    const file = svc.broadcast.folder.pathOf(meeting.id, seg.file)!;
    const info = await probe(file);
    t.same(info.codecs, { video: 'h264', audio: 'aac' }, 'H.264 + AAC');
    t.ok(
      Math.abs(info.durationS - stoppedAt / 1000) <= 1,
      `duration ${info.durationS.toFixed(2)} s within 1 s of ${(stoppedAt / 1000).toFixed(2)} s`,
    );
    t.ok(
      Math.abs((seg.durationMs ?? 0) / 1000 - info.durationS) <= 1,
      `listed duration ${seg.durationMs} ms matches the file`,
    );
    const decoded = await decodeAll(file);
    t.equal(decoded.errors, '', 'decodes without error');
    t.ok(
      decoded.frames >= info.durationS * 15 * 0.9,
      `${decoded.frames} frames decoded from start to end`,
    );
    const colours = await centreColours(file);
    const before = colours.filter((c) => c.t > 3 && c.t < floorAt / 1000 - 1);
    const after = colours.filter((c) => c.t > floorAt / 1000 + 3 && c.t < info.durationS - 0.5);
    t.ok(
      before.length > 5 && before.every((c) => isBlue(c.rgb)),
      `the main point (blue) before the floor moved: ${JSON.stringify(before.map((c) => c.rgb))}`,
    );
    t.ok(
      after.length > 5 && after.every((c) => isRed(c.rgb)),
      `site A (red) after it got the floor: ${JSON.stringify(after.map((c) => c.rgb))}`,
    );

    const download = await svc.app.inject({
      url: `/api/meetings/${meeting.id}/recordings/${seg.file}`,
      headers: itHeaders,
    });
    t.equal(download.statusCode, 200, 'IT downloads the segment');
    t.equal(download.headers['content-type'], 'video/mp4');
    t.equal(download.rawPayload.length, seg.bytes);
    t.equal(
      (
        await svc.app.inject({
          url: `/api/meetings/${meeting.id}/recordings/${seg.file}`,
          headers: chairHeaders,
        })
      ).statusCode,
      403,
      'the chair cannot download',
    );
    t.equal(
      (
        await svc.app.inject({
          url: `/api/meetings/${meeting.id}/recordings/..%2Fx.mp4`,
          headers: itHeaders,
        })
      ).statusCode,
      400,
      'a path outside the folder is refused',
    );
  });

  await t.test('the encoder killed mid-recording restarts in a new segment', async (t) => {
    const before = (await status()).segments.length;
    await api('POST', '/recording/start', itHeaders);
    await waitFor(() => live.programmeRunning?.encoder.pid, 5000, 'composer running');
    const programme = live.programmeRunning!;
    await new Promise((ok) => programme.once('segmentOpened', ok));
    await sleep(4000);
    const pid = programme.encoder.pid!;
    const restarted = new Promise<{ restarts: number }>((ok) => programme.once('started', ok));
    const reopened = new Promise<string>((ok) => programme.once('segmentOpened', ok));
    process.kill(pid, 'SIGKILL');
    t.equal((await restarted).restarts, 1, 'the composer restarted');
    const second = await reopened;
    t.not(programme.encoder.pid, pid, 'a new process');
    await sleep(5000);
    await waitForMedia(siteB, `site:${a.id}`, 'camera', 5000);
    t.pass('the sites never noticed: site B still sees the floor site');
    await api('POST', '/recording/stop', itHeaders);
    await waitFor(
      async () => (await status()).segments.some((s) => second.endsWith(s.file) && s.durationMs),
      10_000,
      'the new segment finished',
    );
    const { segments, encoder } = await status();
    t.equal(segments.length, before + 2, 'the cut segment and the new one');
    t.equal(encoder.running, false, 'no composer once nothing records');
    const cut = segments.find((s) => s.durationMs === undefined);
    t.ok(cut, 'the segment open at the crash is listed without a duration');
    const cutInfo = await probe(svc.broadcast.folder.pathOf(meeting.id, cut!.file)!);
    t.ok(cutInfo.durationS > 1, `the cut segment still plays (${cutInfo.durationS} s)`);
    const next = await probe(second);
    t.same(next.codecs, { video: 'h264', audio: 'aac' });
    t.ok(next.durationS > 3, `the new segment holds the rest (${next.durationS} s)`);
    // The restarted composer decodes from the keyframe it asks for once each input listens.
    const colours = (await centreColours(second)).filter((c) => c.t < next.durationS - 0.5);
    const first = colours.findIndex((c) => isRed(c.rgb));
    t.ok(
      first >= 0 && colours[first]!.t <= 3 && colours.slice(first).every((c) => isRed(c.rgb)),
      `the new segment shows the floor site within 3 s of its start: ${JSON.stringify(colours.map((c) => c.rgb))}`,
    );
  });

  await t.test(
    'live out: RTMP to a local receiver, HLS to a viewer link, revoked refused',
    async (t) => {
      const rtmpPort = await freeTcpPort();
      const flv = join(dataDir, 'received.flv');
      // FFmpeg as the station's ingest: it accepts one RTMP publisher and writes what it gets.
      const receiver = spawn(
        'ffmpeg',
        [
          '-v',
          'error',
          '-listen',
          '1',
          '-i',
          `rtmp://127.0.0.1:${rtmpPort}/live/key`,
          '-c',
          'copy',
          '-y',
          flv,
        ],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      const receiverExit = new Promise((ok) => receiver.once('close', ok));
      t.teardown(() => {
        if (receiver.exitCode === null) receiver.kill('SIGKILL');
      });
      const bad = await api('PUT', '/broadcast/settings', itHeaders, { rtmpUrl: 'http://x' });
      t.equal(bad.statusCode, 400, 'a non-RTMP URL is refused');
      t.match(bad.json().message.vi, /rtmpUrl/, 'naming the field');
      const saved = await api('PUT', '/broadcast/settings', itHeaders, {
        rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live/key`,
        hls: true,
      });
      t.equal(saved.statusCode, 200, 'IT sets the ingest URL');
      t.equal(
        (await api('POST', '/live-out/start', chairHeaders)).statusCode,
        200,
        'live out starts',
      );
      await waitFor(
        async () => (await status()).liveOut.rtmp.status === 'live',
        15_000,
        'RTMP push live',
      );
      t.pass('the push reports live');

      const viewer = await data.access.issueLink(meeting.id, { role: 'viewer' }, admin);
      const { page, context } = await openPage(
        browser,
        viewer.url.replace(/^https?:\/\/[^/]+/, svc.url),
        'viewer',
      );
      t.teardown(() => context.close());
      const video = page.getByTestId('viewer-video');
      await video.waitFor();
      const t1 = await waitFor(
        () => video.evaluate((v: HTMLVideoElement) => (v.currentTime > 0.5 ? v.currentTime : 0)),
        20_000,
        'the viewer plays',
      );
      await sleep(3000);
      const t2 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      t.ok(t2 > t1 + 1.5, `the viewer's video advances (${t1.toFixed(1)} s → ${t2.toFixed(1)} s)`);
      t.equal(
        (
          await svc.app.inject({
            url: `/api/meetings/${meeting.id}/live/index.m3u8`,
            headers: { authorization: `Bearer ${viewer.token}` },
          })
        ).statusCode,
        200,
        'the viewer link reads the playlist',
      );
      await data.access.revokeLink(meeting.id, viewer.link.id, admin);
      t.equal(
        (
          await svc.app.inject({
            url: `/api/meetings/${meeting.id}/live/index.m3u8`,
            headers: { authorization: `Bearer ${viewer.token}` },
          })
        ).statusCode,
        401,
        'a revoked viewer link is refused',
      );

      // The ingest goes away: the pusher says so and keeps retrying; the recording is untouched.
      receiver.stdin?.end('q');
      await receiverExit;
      await waitFor(
        async () => (await status()).liveOut.rtmp.status === 'retrying',
        15_000,
        'RTMP push retrying',
      );
      t.pass('a lost ingest shows as retrying');
      const got = await probe(flv);
      t.same(got.codecs, { video: 'h264', audio: 'aac' }, 'the receiver got H.264 + AAC');
      t.ok(got.durationS > 3, `${got.durationS.toFixed(1)} s received`);
      t.equal((await api('POST', '/live-out/stop', itHeaders)).statusCode, 200);
      const after = await status();
      t.equal(after.liveOut.on, false, 'live out stopped');
      t.equal(after.encoder.running, false, 'no composer left');
    },
  );

  await t.test("the site's own page says 'Đang ghi hình' while recording", async (t) => {
    await api('POST', '/recording/start', chairHeaders);
    // The real technician page of site B takes over from its harness page.
    const { page, context } = await openPage(browser, `${svc.url}/join/${tokens.b}`, 'site B page');
    t.teardown(() => context.close());
    const banner = page.getByTestId('recording-banner');
    await banner.waitFor({ timeout: 15_000 });
    t.equal((await banner.textContent())?.trim(), '● Đang ghi hình', 'the banner, in Vietnamese');
    await page.screenshot({ path: artifactPath('broadcast-site-recording.png') });
    await api('POST', '/recording/stop', chairHeaders);
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    t.pass('and no longer once it stops');
  });
});
