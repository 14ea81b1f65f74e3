// runs alone: real SIP clients on their own timers (SIPp's pauses, baresip's RTP), tested alone so far.
import t from 'tap';
import type { Site } from '../../protocol/sites.js';
import { receivedColour, startBaresip } from '../helpers/baresip.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { startSipStack } from '../helpers/sipp.js';

// A hall's room system, played by baresip (a video file as its camera, H.264 + G.722, SRTP,
// digest auth), calls a live meeting with a main point, a chair and a browser site in Chromium.
const actor = { kind: 'system' as const, name: 'test' };
const STATION_BLUE = '#1060e0';

t.test('a room system (baresip) in a live meeting with Chromium pages', async (t) => {
  const { stack, sipPort } = await startSipStack(t, 'sip-baresip', {
    rtpBase: 32000,
    rtpCount: 100,
    width: 640,
    height: 360,
    kbps: 600,
  });
  const svc = stack.service;
  const edge = svc.sip!;
  const [hallSite, webSite] = stack.districts as [Site, Site];
  const { id, version, createdAt: _c, updatedAt: _u, ...fields } = hallSite;
  const hall = await svc.data.sites.update(
    id,
    { ...fields, sip: { user: 'hall1', password: 'mat-khau-sip-1', allowFrom: [] } },
    version,
    actor,
  );
  const { number } = await edge.addressOf(stack.meeting.id);

  // The pages: the main point (a blue camera), the chair, and a district site in a browser.
  const browser = await launchChromium(t);
  await startEndpoint(browser, svc.url, 'station', {
    token: stack.tokenOf('station'),
    camera: { width: 640, height: 360, color: STATION_BLUE },
    microphone: true,
  });
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const site = await startEndpoint(browser, svc.url, 'site', {
    token: stack.tokenOf('technician', webSite.id),
    camera: { width: 320, height: 180 },
    microphone: true,
  });
  await chair.request('startSession');
  await waitForMedia(site, 'station', 'camera', 15_000);

  // The room system: a video file as its camera, a WAV file as its microphone, SRTP required.
  const baresip = await startBaresip(t, {
    listen: '127.0.0.1:0',
    account: '<sip:hall1@127.0.0.1>;auth_pass=mat-khau-sip-1;regint=0;mediaenc=srtp-mand',
    logName: 'sip-baresip-ua.log',
  });
  const { control } = baresip;

  const started = Date.now();
  control.send('dial', `sip:${number}@127.0.0.1:${sipPort}`);
  const call = (await waitFor(
    () => edge.callsView(stack.meeting.id).find((c) => c.state === 'connected'),
    15_000,
    'the room system connected',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${baresip.output().slice(-3000)}`);
  }))!;
  t.pass(`baresip's call answered after digest auth in ${Date.now() - started} ms`);
  const transports = [...edge.callsView(stack.meeting.id)].length;
  t.equal(transports, 1, 'one call');
  t.equal(call.media.length, 2, 'audio and video taken');

  await t.test('the chair sees the hall as a site connected by SIP', async (t) => {
    const p = await waitFor(
      async () => {
        const ps = await chair.page.evaluate(() => window.harness.client()!.participants);
        const found = ps.find((x) => x.siteId === hall.id);
        return found?.online && found.sources.includes('camera') ? found : undefined;
      },
      10_000,
      'the hall in the chair list with its camera',
    );
    t.equal(p?.via, 'sip');
    await waitForMedia(chair, `site:${hall.id}`, 'camera', 10_000);
    t.pass("the chair's grid decodes the hall's H.264 camera");
  });

  await t.test("baresip receives the programme: the main point's picture", async (t) => {
    const rgb = await receivedColour(baresip, 20_000);
    const [r, g, b] = rgb;
    t.ok(b > 150 && b > r + 80 && b > g + 40, `the snapshot is the main point's blue (${rgb})`);
  });

  await t.test(
    'the hall takes the floor: the browser site decodes its video and hears it',
    async (t) => {
      await chair.request('grantFloor', { siteId: hall.id });
      const ms = await waitForMedia(site, `site:${hall.id}`, 'camera', 15_000);
      t.pass(`the browser site decodes the hall's H.264 (${ms} ms)`);
      await waitForMedia(site, `site:${hall.id}`, 'microphone', 10_000);
      t.pass('and receives its G.722 sound (Chromium decodes it; it is not transcoded)');
      await chair.request('revokeFloor');
    },
  );

  await t.test('hang-up cleans up every transport', async (t) => {
    const session = svc.signaling.session(stack.meeting.id)!;
    const media = session.participant(`site:${hall.id}`)!.media!;
    const plain = [...media.plainTransports.values()];
    t.equal(plain.length, 2, 'two PlainTransports while in the call');
    control.send('hangup');
    await waitFor(() => edge.callCount === 0, 10_000, 'the call ended by BYE');
    t.ok(
      plain.every((tr) => tr.closed),
      "the call's PlainTransports are closed",
    );
    t.ok(media.isClosed, "the hall's media endpoint is closed");
    t.notOk(session.participant(`site:${hall.id}`)!.online, 'the hall is offline');
    await waitFor(() => edge.feedCount === 0, 5000, 'the room feed stopped with the last call');
    t.pass('the room feed stopped with the last call');
  });
});
