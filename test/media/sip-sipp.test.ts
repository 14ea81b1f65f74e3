// runs alone: real SIP clients on their own timers (SIPp's pauses, baresip's RTP), tested alone so far.
import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import type { Site } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import type { Service } from '../../server/Service.js';
import { waitFor } from '../helpers/browser.js';
import { runSipp, startSipStack } from '../helpers/sipp.js';

// SIPp plays halls' room systems against the service's SIP edge on loopback: the signalling
// cases of RFC 3261/3264 a Poly or Cisco produces, with the media checked where it matters
// (our own sockets stand in for the room's RTP ports).
const actor = { kind: 'system' as const, name: 'test' };

async function giveSip(svc: Service, site: Site, user: string): Promise<Site> {
  const { id, version, createdAt: _c, updatedAt: _u, ...fields } = site;
  return svc.data.sites.update(
    id,
    { ...fields, sip: { user, allowFrom: ['127.0.0.1'] } },
    version,
    actor,
  );
}

function bindUdp(): Promise<Socket> {
  return new Promise((ok) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => ok(s));
  });
}

/** Whether an H.264 RTP payload starts or carries an IDR picture (single NAL, STAP-A, FU-A). */
function carriesIdr(payload: Buffer): boolean {
  const type = payload[0]! & 0x1f;
  if (type === 5) return true;
  if (type === 28) return (payload[1]! & 0x80) !== 0 && (payload[1]! & 0x1f) === 5;
  if (type === 24) {
    for (let i = 1; i + 2 < payload.length; ) {
      const size = payload.readUInt16BE(i);
      if ((payload[i + 2]! & 0x1f) === 5) return true;
      i += 2 + size;
    }
  }
  return false;
}

function rtp(ssrc: number, seq: number, pt: number): Buffer {
  const b = Buffer.alloc(12 + 20);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  b[12] = 0x41; // a non-IDR slice: what matters here is the SSRC
  return b;
}

t.test('room systems against the SIP edge (SIPp)', async (t) => {
  // The service's SIP and media log is kept for reading after a run.
  const { stack, sipPort } = await startSipStack(t, 'sip-sipp', {
    rtpBase: 30000,
    rtpCount: 200,
    width: 320,
    height: 180,
    kbps: 300,
  });
  const svc = stack.service;
  const edge = svc.sip!;
  t.ok(edge, 'the SIP edge runs');
  const halls = await Promise.all(stack.districts.map((s, i) => giveSip(svc, s, `hall${i + 1}`)));
  const { number } = await edge.addressOf(stack.meeting.id);
  t.match(number, /^\d{6}$/, `the meeting is dialled at ${number}`);
  const target = `127.0.0.1:${sipPort}`;
  const roomTransports = () =>
    [...(svc.signaling.session(stack.meeting.id)?.room.endpointIds ?? [])].filter((id) =>
      id.startsWith('site:'),
    );

  await t.test('an unknown caller is refused with 403, whatever it dials', async (t) => {
    for (const dialled of [number, '999999']) {
      const run = await runSipp(t, {
        scenario: 'invite-403',
        target,
        service: dialled,
        users: ['stranger'],
        vars: { aport: 9, vport: 9 },
      });
      t.equal(run.code, 0, `403 for ${dialled} ${run.errors}`);
    }
  });

  await t.test('no codec in common: 488', async (t) => {
    const run = await runSipp(t, {
      scenario: 'invite-488',
      target,
      service: number,
      users: ['hall1'],
      vars: { aport: 9, vport: 9 },
    });
    t.equal(run.code, 0, run.errors);
    t.same(roomTransports(), [], 'nothing left of the refused call');
  });

  await t.test('CANCEL before the answer: 200, then 487', async (t) => {
    const run = await runSipp(t, {
      scenario: 'invite-cancel',
      target,
      service: number,
      users: ['hall2'],
      vars: { aport: 9, vport: 9 },
    });
    t.equal(run.code, 0, run.errors);
    await waitFor(() => edge.callCount === 0, 3000, 'the cancelled call gone');
    await waitFor(() => roomTransports().length === 0, 3000, 'its media gone');
    t.pass('the cancelled call left nothing');
  });

  await t.test(
    'a delayed offer; INFO picture_fast_update; the room changes its SSRC; BYE from the service',
    async (t) => {
      const video = await bindUdp();
      const audio = await bindUdp();
      t.teardown(() => {
        video.close();
        audio.close();
      });
      const idrAt: number[] = [];
      let videoPackets = 0;
      const samples: string[] = [];
      video.on('message', (msg) => {
        if ((msg[1]! & 0x7f) !== 96 || msg.length < 14) return;
        videoPackets++;
        if (samples.length < 8) samples.push(msg.subarray(0, 20).toString('hex'));
        // After the CSRCs and the header extension (mediasoup's consumers send one).
        let at = 12 + (msg[0]! & 0x0f) * 4;
        if (msg[0]! & 0x10) at += 4 + msg.readUInt16BE(at + 2) * 4;
        if (carriesIdr(msg.subarray(at))) idrAt.push(Date.now());
      });
      let infoSentAt = 0;
      const sipp = runSipp(t, {
        scenario: 'invite-delayed',
        target,
        service: number,
        users: ['hall3'],
        vars: { aport: audio.address().port, vport: video.address().port },
      });
      const call = await waitFor(
        () => edge.callsView(stack.meeting.id).find((c) => c.state === 'connected'),
        8000,
        'the delayed-offer call connected',
      );
      const site = svc.signaling.session(stack.meeting.id)!.participant(`site:${halls[2]!.id}`)!;
      t.equal(site.view(svc.signaling.session(stack.meeting.id)!.chair).via, 'sip');
      t.ok(site.online, 'the hall is online in the meeting as its site');
      // The room's camera: RTP from "the room" (our socket) to the port the service offered.
      const videoPort = call!.media.find((m) => m.kind === 'video')!.port;
      const ssrcOfCamera = () =>
        [...(site.media?.producers.values() ?? [])].find((p) => p.appData.source === 'camera')
          ?.rtpParameters.encodings?.[0]?.ssrc;
      for (let i = 0; i < 20; i++) video.send(rtp(0x1111, i, 96), videoPort, '127.0.0.1');
      await waitFor(() => ssrcOfCamera() === 0x1111, 3000, 'the camera produced with SSRC A');
      t.pass('the SSRC is learned from the first packet');
      for (let i = 0; i < 20; i++) video.send(rtp(0x2222, 100 + i, 96), videoPort, '127.0.0.1');
      await waitFor(() => ssrcOfCamera() === 0x2222, 3000, 'the camera produced with SSRC B');
      t.pass('a new SSRC mid-call is produced anew');

      // The programme reaches the room, with a keyframe at least every second.
      infoSentAt = Date.now();
      await waitFor(() => idrAt.length >= 4, 15_000, 'keyframes reaching the room').catch((err) => {
        const stats = JSON.stringify(edge.callsView(stack.meeting.id).map((c) => c.media));
        throw new Error(
          `${err.message}: ${videoPackets} video packets, ${idrAt.length} keyframes; ${stats} ${samples.join(' ')}`,
        );
      });
      const gaps = idrAt.slice(1).map((at, i) => at - idrAt[i]!);
      t.ok(videoPackets > 20, `the room receives the programme's H.264 (${videoPackets} packets)`);
      t.ok(
        Math.max(...gaps) <= 1100,
        `keyframes every ${gaps.join(', ')} ms: an INFO or PLI is answered within 1 s`,
      );
      t.ok(infoSentAt > 0);

      // The service hangs up (the site was removed, its link revoked…): BYE to the room.
      svc.signaling
        .session(stack.meeting.id)!
        .disconnect(`site:${halls[2]!.id}`, { vi: 'Thu hồi', en: 'Revoked' });
      const run = await sipp;
      t.equal(run.code, 0, `the room got our BYE and answered it ${run.errors}`);
      t.ok(
        run.logs.some((l) => l.includes('info-answered')),
        'INFO answered 200',
      );
      t.equal(edge.callCount, 0, 'no call left');
      await waitFor(() => roomTransports().length === 0, 3000, 'no media left');
      t.notOk(site.online, 'the site is offline');
    },
  );

  await t.test(
    'a dual SAVP/AVP offer with BFCP, INFO, hold and resume, BYE from the room',
    async (t) => {
      const run = await runSipp(t, {
        scenario: 'invite-dual-hold',
        target,
        service: number,
        users: ['hall4'],
        vars: { aport: 9, vport: 9 },
      });
      t.equal(run.code, 0, run.errors);
      t.ok(
        run.logs.some((l) => /answer 1 audio=\d+ video=\d+ key=\S+/.test(l)),
        'SAVP lines taken, AVP and BFCP refused with port 0, Constrained Baseline answered',
      );
      t.ok(
        run.logs.some((l) => l.includes('held')),
        'hold answered recvonly',
      );
      t.ok(
        run.logs.some((l) => l.includes('resumed')),
        'resume answered sendrecv',
      );
      await waitFor(() => edge.callCount === 0, 3000, 'call gone');
      await waitFor(() => roomTransports().length === 0, 3000, 'media gone');
      t.pass('nothing left after the BYE');
    },
  );

  await t.test('20 room systems at once, nothing leaked', async (t) => {
    // Twenty more halls, in a meeting of their own.
    const more: Site[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await svc.data.sites.create(
        {
          name: `Trường THCS số ${i + 1}`,
          kind: 'school',
          attendingUnits: [],
          sip: { user: `room${i + 1}`, allowFrom: ['127.0.0.0/8'] },
        },
        actor,
      );
      more.push(s);
    }
    const d = vietnamParts(Date.now() + 12 * 86_400_000);
    const input = hoaBinhBriefing({
      year: d.year,
      month: d.month,
      day: d.day,
      letterDate: '2011-10-21',
      mainSiteId: stack.main.id,
      districtSiteIds: more.map((s) => s.id),
    });
    // Two agenda items are enough here (twenty reports would not fit the morning's slots).
    input.agenda = input.agenda?.slice(0, 2) ?? [];
    const post = async (url: string, payload?: unknown) => {
      const res = await svc.app.inject({
        method: 'POST',
        url,
        headers: { cookie: stack.adminCookie },
        ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      });
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string };
    };
    const meeting = await post('/api/meetings', input);
    await post(`/api/meetings/${meeting.id}/actions/schedule`);
    const big = await edge.addressOf(meeting.id);
    const started = Date.now();
    const run = await runSipp(t, {
      scenario: 'invite-dual-hold',
      target,
      service: big.number,
      users: more.map((s) => s.sip!.user),
      vars: { aport: 9, vport: 9 },
      rate: 10,
      timeoutS: 60,
    });
    t.equal(
      run.code,
      0,
      `all 20 calls completed (${Date.now() - started} ms) ${run.errors.slice(0, 2000)}`,
    );
    t.equal(run.logs.filter((l) => l.startsWith('answer')).length, 20, 'twenty answers');
    await waitFor(() => edge.callCount === 0, 5000, 'every call gone');
    const session = svc.signaling.session(meeting.id);
    await waitFor(
      () => (session?.room.endpointIds ?? []).filter((id) => id.startsWith('site:')).length === 0,
      5000,
      'every call endpoint gone',
    );
    await waitFor(() => edge.feedCount === 0, 5000, 'the room feed closed with the last call');
    t.pass('no call, endpoint or feed left');
  });
});
