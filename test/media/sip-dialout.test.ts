// runs alone: a real SIP client (baresip) on its own timers, with Chromium pages.
import type { Socket } from 'socket.io-client';
import t from 'tap';
import type { SipSiteCall } from '../../protocol/sip.js';
import type { Site } from '../../protocol/sites.js';
import type { Participant } from '../../protocol/socket.js';
import { receivedColour, startBaresip } from '../helpers/baresip.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { freePort } from '../helpers/ports.js';
import { handshake } from '../helpers/serviceStack.js';
import { startSipStack } from '../helpers/sipp.js';

/*
 * A hall whose room system waits to be called (baresip answering by itself, a video file as its
 * camera, H.264 + G.722): the service calls it when the chair starts the session, calls it again
 * when the room hangs up, stops when the site loses its dial-out address, and hangs up when the
 * session ends. IT watches the call state on its socket (the readiness board's participant list)
 * and over HTTP.
 */
const STATION_BLUE = '#1060e0';

/** IT's socket on the meeting: every SIP call state each site went through, in order. */
async function watchAsIt(url: string, meetingId: string, cookie: string) {
  const h = await handshake(url, { meetingId }, { cookie });
  if (!h.ok) throw new Error(`IT socket refused: ${h.code} ${h.message}`);
  const socket: Socket = h.socket;
  const states = new Map<string, string[]>();
  const note = (ps: Participant[]) => {
    for (const p of ps) {
      if (!p.siteId || !p.call) continue;
      const list = states.get(p.siteId) ?? [];
      if (list.at(-1) !== p.call) list.push(p.call);
      states.set(p.siteId, list);
    }
  };
  // Staff get the changes (participantsUpdated); the whole list comes with join.
  socket.on('participantsUpdated', (e: { participants: Participant[] }) => note(e.participants));
  const joined = await new Promise<{ participants: Participant[] }>((ok, fail) =>
    socket
      .timeout(10_000)
      .emit('join', {}, (err: Error | null, a: { ok: boolean; data: never; error?: unknown }) =>
        err || !a.ok ? fail(err ?? new Error(JSON.stringify(a.error))) : ok(a.data),
      ),
  );
  note(joined.participants);
  return {
    socket,
    states: (siteId: string) => states.get(siteId) ?? [],
    now: (siteId: string) => states.get(siteId)?.at(-1),
  };
}

t.test('the service calls a hall that waits to be called (baresip auto-answer)', async (t) => {
  const { stack } = await startSipStack(
    t,
    'sip-dialout',
    {
      rtpBase: 36000,
      rtpCount: 100,
      width: 640,
      height: 360,
      kbps: 600,
    },
    { SIP_DIAL_RETRY_MIN_SECONDS: '2', SIP_DIAL_RETRY_MAX_SECONDS: '10' },
  );
  const svc = stack.service;
  const edge = svc.sip!;
  const meetingId = stack.meeting.id;
  const hallSite = stack.districts[0]!;
  const asAdmin = (method: 'GET' | 'PUT', url: string, payload?: unknown) =>
    svc.app.inject({
      method,
      url,
      headers: { cookie: stack.adminCookie },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });

  // The room: baresip on its own SIP port, answering every call by itself.
  const roomPort = await freePort();
  const roomUri = `sip:hall2@127.0.0.1:${roomPort}`;
  const baresip = await startBaresip(t, {
    listen: `127.0.0.1:${roomPort}`,
    account: '<sip:hall2@127.0.0.1>;regint=0;answermode=auto',
    logName: 'sip-dialout-ua.log',
  });
  const calls = () => baresip.control.events.filter((e) => e.type === 'CALL_ESTABLISHED').length;
  const closed = () => baresip.control.events.filter((e) => e.type === 'CALL_CLOSED').length;

  // IT gives the site its dial-out address over HTTP (the directory validates it).
  const setSip = async (sip: Record<string, unknown>) => {
    const current = (await asAdmin('GET', `/api/sites/${hallSite.id}`)).json() as Site;
    const { id: _i, version, createdAt: _c, updatedAt: _u, ...fields } = current;
    const res = await asAdmin('PUT', `/api/sites/${hallSite.id}`, { ...fields, sip, version });
    t.equal(res.statusCode, 200, `site saved: ${res.body.slice(0, 200)}`);
  };
  await setSip({ user: 'hall2', allowFrom: ['127.0.0.1'], dialOut: roomUri });

  const browser = await launchChromium(t);
  const station = await startEndpoint(browser, svc.url, 'station', {
    token: stack.tokenOf('station'),
    camera: { width: 640, height: 360, color: STATION_BLUE },
    microphone: true,
  });
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const it = await watchAsIt(svc.url, meetingId, stack.adminCookie);
  t.teardown(() => it.socket.close());
  await waitFor(() => it.now(hallSite.id) === 'not_called', 10_000, 'IT sees the hall not called');
  t.equal(edge.callCount, 0, 'nobody is called before the session starts');

  const started = Date.now();
  await chair.request('startSession');
  const first = (await waitFor(
    () => edge.callsView(meetingId).find((c) => c.state === 'connected'),
    20_000,
    'the hall answered the service',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${baresip.output().slice(-3000)}`);
  }))!;
  t.pass(`the room was called and answered ${Date.now() - started} ms after the session started`);
  t.equal(first.siteId, hallSite.id, 'as the hall');
  t.equal(first.direction, 'out', 'a call the service placed');
  await waitFor(() => calls() === 1, 5000, 'baresip reports the call established');
  t.pass('baresip reports one established call');

  await t.test("the room's picture and sound reach the meeting", async (t) => {
    const p = await waitFor(
      async () => {
        const ps = await chair.page.evaluate(() => window.harness.client()!.participants);
        const found = ps.find((x) => x.siteId === hallSite.id);
        return found?.online && found.sources.includes('camera') ? found : undefined;
      },
      15_000,
      'the hall in the chair list with its camera',
    );
    t.equal(p?.via, 'sip', 'connected by SIP');
    t.equal(p?.call, 'in_call', "the chair's list shows it in call");
    await waitForMedia(chair, `site:${hallSite.id}`, 'camera', 15_000);
    t.pass("the chair decodes the hall's H.264 camera");
    // A site's microphone always goes to the main point (the chair's page takes no sound).
    await waitForMedia(station, `site:${hallSite.id}`, 'microphone', 10_000);
    t.pass("the main point receives the hall's G.722 sound");
  });

  await t.test("the room receives the programme (the main point's blue)", async (t) => {
    const [r, g, b] = await receivedColour(baresip, 20_000);
    t.ok(b > 150 && b > r + 80 && b > g + 40, `baresip's snapshot is blue (${[r, g, b]})`);
  });

  await t.test('IT sees the call state on its socket and over HTTP', async (t) => {
    await waitFor(() => it.now(hallSite.id) === 'in_call', 10_000, 'IT sees in_call');
    t.same(
      it.states(hallSite.id),
      ['not_called', 'calling', 'in_call'],
      'not called, calling, in call',
    );
    const res = await asAdmin('GET', `/api/meetings/${meetingId}/sip/sites`);
    t.equal(res.statusCode, 200);
    const hall = (res.json() as SipSiteCall[]).find((s) => s.siteId === hallSite.id);
    t.match(hall, { state: 'in_call', dialOut: true, attempts: 1 });
  });

  await t.test('the room hangs up: the service calls it again', async (t) => {
    const session = svc.signaling.session(meetingId)!;
    const media = session.participant(`site:${hallSite.id}`)!.media!;
    const plain = [...media.plainTransports.values()];
    t.equal(plain.length, 2, 'two PlainTransports in the call');
    baresip.control.send('hangup');
    await waitFor(() => it.now(hallSite.id) === 'dropped', 10_000, 'IT sees the call dropped');
    t.ok(
      plain.every((tr) => tr.closed),
      "the dropped call's transports are closed",
    );
    const again = await waitFor(
      () =>
        edge.callsView(meetingId).find((c) => c.state === 'connected' && c.callId !== first.callId),
      20_000,
      'a new call to the hall',
    );
    t.ok(again, 'the service called the room again and it answered');
    await waitFor(() => it.now(hallSite.id) === 'in_call', 10_000, 'IT sees in_call again');
    // Calling may last less than the session's 50 ms batching of participant changes.
    t.match(
      it.states(hallSite.id).slice(3).join(' '),
      /^dropped (calling )?in_call$/,
      'dropped, then in call',
    );
    await waitForMedia(chair, `site:${hallSite.id}`, 'camera', 15_000);
    t.pass("the chair decodes the hall's camera again");
  });

  await t.test('the site loses its dial-out address: the call ends, no more calls', async (t) => {
    const before = closed();
    await setSip({ user: 'hall2', allowFrom: ['127.0.0.1'] });
    await waitFor(() => edge.callCount === 0, 10_000, 'the service hung up');
    await waitFor(() => closed() > before, 10_000, 'baresip saw the BYE');
    await waitFor(() => it.now(hallSite.id) === 'not_called', 10_000, 'IT sees not called');
    // Twice the shortest retry wait: a call would have gone out by now.
    await new Promise((r) => setTimeout(r, 4000));
    t.equal(edge.callCount, 0, 'not called again');
    await setSip({ user: 'hall2', allowFrom: ['127.0.0.1'], dialOut: roomUri });
    await waitFor(
      () => edge.callsView(meetingId).some((c) => c.state === 'connected'),
      20_000,
      'called again once the address is back',
    );
    t.pass('the address back: the room is called at once');
  });

  await t.test('the session ends: the call is hung up, every transport closed', async (t) => {
    const session = svc.signaling.session(meetingId)!;
    const media = session.participant(`site:${hallSite.id}`)!.media!;
    const plain = [...media.plainTransports.values()];
    const before = closed();
    await chair.request('endSession');
    await waitFor(() => edge.callCount === 0, 10_000, 'no call left');
    await waitFor(() => closed() > before, 10_000, 'baresip saw the BYE');
    t.ok(
      plain.every((tr) => tr.closed),
      "the call's PlainTransports are closed",
    );
    t.ok(media.isClosed, "the hall's media endpoint is closed");
    await waitFor(() => edge.feedCount === 0, 10_000, 'the room feed stopped');
    await new Promise((r) => setTimeout(r, 4000));
    t.equal(edge.callCount, 0, 'not called again after the session');
    t.equal(
      calls(),
      3,
      'three calls in all: the first, after the hang-up, after the address came back',
    );
  });
});
