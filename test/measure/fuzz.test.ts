import type { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import t from 'tap';
import { z } from 'zod';
import { issueLinkInputSchema, loginInputSchema } from '../../protocol/auth.js';
import { idSchema } from '../../protocol/fields.js';
import {
  attachmentLinkInputSchema,
  meetingInputSchema,
  meetingUpdateSchema,
} from '../../protocol/meetings.js';
import { checklistInputSchema } from '../../protocol/readiness.js';
import { siteInputSchema, siteUpdateSchema } from '../../protocol/sites.js';
import { type RequestName, requests } from '../../protocol/socket.js';
import { hoaBinhDistrictSites } from '../../server/demo/hoaBinh.js';
import { launchChromium } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { Fuzz } from '../helpers/fuzz.js';
import {
  fullChecklist,
  handshake,
  STACK_ADMIN,
  startServiceStack,
} from '../helpers/serviceStack.js';

/*
 * Hostile input from every role, seeded (FUZZ_SEED): mutated HTTP bodies, query strings and
 * headers, and socket messages (valid ones with one field broken, random JSON, oversized values,
 * wrong types, unknown events). It holds when nothing answers 5xx or "internal", every socket
 * answer is an error acknowledgement with a code, no media worker dies, a site keeps receiving
 * the floor site's video in a real Chromium page throughout, and Redis holds exactly what it held
 * before (the fuzzer never sends a request its schema would accept with real credentials).
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const HTTP_REQUESTS = Number(process.env.FUZZ_HTTP ?? 7000);
const SOCKET_SECONDS = Number(process.env.FUZZ_SOCKET_SECONDS ?? 28);
/** Below the per-socket budget (40/s), so the handlers see the messages, not the limiter. */
const SOCKET_PER_SECOND = 33;
const CHECKLIST = { ...fullChecklist, seats: 40, note: 'Đã thử máy phát' };

async function snapshot(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      // Rate-limit counters are meant to change; BullMQ, socket.io's adapter and the node
      // registry keep their own bookkeeping (heartbeats, streams, meeting leases).
      if (/:(rate-limit|bull):|:socket\.io|:nodes?\b|:(owner|fence)$/.test(key)) continue;
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'set') value = (await redis.smembers(key)).sort();
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      out.set(key, `${type} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return out;
}

t.test('fuzzing every door from every role', async (t) => {
  t.setTimeout(170_000);
  const started = Date.now();
  const fuzz = new Fuzz(SEED);
  const stack = await startServiceStack(t);
  const { service, meeting, districts } = stack;
  const [floorSite, receiverSite, ...otherSites] = districts;

  // ---- the media that must keep flowing ------------------------------------------------------
  const browser = await launchChromium(t);
  const sender = await startEndpoint(browser, service.url, 'floor-site', {
    token: stack.tokenOf('technician', floorSite!.id),
    camera: { width: 640, height: 360 },
    microphone: true,
  });
  const receiver = await startEndpoint(browser, service.url, 'receiver-site', {
    token: stack.tokenOf('technician', receiverSite!.id),
    send: false,
  });
  t.teardown(async () => {
    await sender.close().catch(() => {});
    await receiver.close().catch(() => {});
  });

  const open = async (auth: Record<string, string>, headers: Record<string, string> = {}) => {
    const h = await handshake(service.url, auth, headers);
    if (!h.ok) throw Object.assign(new Error(h.message), { data: { code: h.code } });
    return h.socket;
  };
  const joined = async (socket: Socket) => {
    for (let ok = false; !ok; ) {
      ok = await socket
        .timeout(1000)
        .emitWithAck('join', {})
        .then(() => true)
        .catch(() => false);
    }
    return socket;
  };
  const chair = await joined(await open({ token: stack.tokenOf('chair') }));
  const answer = async (socket: Socket, name: string, payload: unknown) => {
    const a = await socket.timeout(5000).emitWithAck(name, payload);
    if (!a.ok) throw new Error(`${name}: ${JSON.stringify(a.error)}`);
    return a.data;
  };
  await answer(chair, 'startSession', {});
  await answer(chair, 'grantFloor', { siteId: floorSite!.id });
  const floorId = `site:${floorSite!.id}`;
  await waitForMedia(receiver, floorId, 'camera', 20_000);

  const roles: { name: string; socket: Socket }[] = [
    { name: 'chair', socket: chair },
    { name: 'station', socket: await joined(await open({ token: stack.tokenOf('station') })) },
    {
      name: 'it',
      socket: await joined(await open({ meetingId: meeting.id }, { cookie: stack.adminCookie })),
    },
    {
      name: 'site',
      socket: await joined(await open({ token: stack.tokenOf('technician', otherSites[0]!.id) })),
    },
    {
      name: 'site-2',
      socket: await joined(await open({ token: stack.tokenOf('technician', otherSites[1]!.id) })),
    },
  ];
  // Let the joins' own writes (readiness: online) land before the picture is taken.
  await new Promise((r) => setTimeout(r, 500));
  const workerPids = service.pool.workers.map((w) => w.worker.pid);
  const before = await snapshot(service.redis);
  // Start-up may log a media port already taken by another test (then retried); count from here.
  const logsBefore = stack.logs.length;

  const counts = {
    http: 0,
    httpSkippedValid: 0,
    httpByStatus: {} as Record<string, number>,
    socket: 0,
    socketSkippedValid: 0,
    socketNoAck: 0,
    socketByCode: {} as Record<string, number>,
    handshakes: 0,
    mediaSamples: 0,
  };
  const problems: string[] = [];

  // ---- media watch ---------------------------------------------------------------------------
  let watching = true;
  const watch = (async () => {
    let last = (await receiver.received(floorId, 'camera')).framesDecoded;
    while (watching) {
      await new Promise((r) => setTimeout(r, 2500));
      const now = (await receiver.received(floorId, 'camera')).framesDecoded;
      counts.mediaSamples++;
      if (now <= last) problems.push(`media stalled: ${last} → ${now} frames`);
      last = now;
    }
  })();

  // ---- sockets -------------------------------------------------------------------------------
  const ids = {
    transportId: 'c0ffee00-0000-4000-8000-000000000000',
    producerId: 'c0ffee00-0000-4000-8000-000000000001',
    consumerId: 'c0ffee00-0000-4000-8000-000000000002',
    checkId: 'c0ffee00-0000-4000-8000-000000000003',
  };
  const samples: Partial<Record<RequestName, unknown>> = {
    join: { displayName: 'Kỹ thuật viên' },
    setRtpCapabilities: {
      rtpCapabilities: {
        codecs: [
          { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 96, clockRate: 90000 },
        ],
        headerExtensions: [
          { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
        ],
      },
    },
    createTransport: { direction: 'send' },
    connectTransport: {
      transportId: ids.transportId,
      dtlsParameters: {
        role: 'client',
        fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD:EF' }],
      },
    },
    restartIce: { transportId: ids.transportId },
    produce: {
      transportId: ids.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        mid: '0',
        codecs: [
          { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {} },
          { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } },
        ],
        headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4 }],
        encodings: [{ ssrc: 1111, rtx: { ssrc: 2222 }, scalabilityMode: 'L1T3' }],
        rtcp: { cname: 'abc', reducedSize: true },
      },
    },
    closeProducer: { producerId: ids.producerId },
    pauseProducer: { producerId: ids.producerId },
    resumeProducer: { producerId: ids.producerId },
    resumeConsumer: { consumerId: ids.consumerId },
    setConsumerLayers: { consumerId: ids.consumerId, spatialLayer: 1, temporalLayer: 2 },
    requestKeyFrame: { consumerId: ids.consumerId },
    reportStats: { recvKbps: 900, lossDownPercent: 0.5, jitterMs: 4, rttMs: 30, framesDecoded: 10 },
    endSession: { reason: 'Kết thúc' },
    setAgendaItem: { index: 1 },
    grantFloor: { siteId: receiverSite!.id },
    muteSite: { siteId: floorSite!.id },
    unmuteSite: { siteId: floorSite!.id },
    dismissHand: { siteId: floorSite!.id },
    measureUplink: { checkId: ids.checkId, durationMs: 1000 },
    resumeCheck: { checkId: ids.checkId },
    submitCheck: { checkId: ids.checkId, figures: {} },
    abortCheck: { checkId: ids.checkId },
    confirmChecklist: CHECKLIST,
    requestCheck: { siteId: floorSite!.id },
    startItCall: { siteId: floorSite!.id },
  };
  const names = Object.keys(requests) as RequestName[];
  const socketMessage = (): { name: string; args: unknown[]; ack: boolean } => {
    const roll = fuzz.int(10);
    if (roll === 0)
      return {
        name: `${fuzz.pick(['x', 'admin', '__proto__', 'constructor'])}${fuzz.string()}`,
        args: [fuzz.nasty()],
        ack: true,
      };
    const name = fuzz.pick(names);
    if (roll === 1) return { name, args: [fuzz.randomJson(3)], ack: true };
    if (roll === 2) return { name, args: [fuzz.nasty()], ack: true };
    if (roll === 3) return { name, args: [fuzz.breakOne(samples[name] ?? {})], ack: false };
    return { name, args: [fuzz.breakOne(samples[name] ?? {})], ack: true };
  };
  const pending: Promise<void>[] = [];
  const socketRun = Promise.all(
    roles.map(async ({ name: role, socket }) => {
      const until = Date.now() + SOCKET_SECONDS * 1000;
      while (Date.now() < until) {
        const m = socketMessage();
        const known = Object.hasOwn(requests, m.name);
        // Never a message the schema accepts: the fuzzer must not change the meeting itself.
        if (known && requests[m.name as RequestName].payload.safeParse(m.args[0]).success) {
          counts.socketSkippedValid++;
          continue;
        }
        counts.socket++;
        if (!m.ack) {
          socket.emit(m.name, ...m.args);
          counts.socketNoAck++;
        } else {
          pending.push(
            socket
              .timeout(8000)
              .emitWithAck(m.name, ...m.args)
              .then((a: { ok?: boolean; error?: { code?: string } }) => {
                const code = a?.error?.code;
                counts.socketByCode[code ?? 'none'] =
                  (counts.socketByCode[code ?? 'none'] ?? 0) + 1;
                if (a?.ok !== false || typeof code !== 'string')
                  problems.push(
                    `${role} ${m.name}: not an error answer: ${JSON.stringify(a).slice(0, 200)}`,
                  );
                else if (code === 'internal')
                  problems.push(
                    `${role} ${m.name}: internal error for ${JSON.stringify(m.args).slice(0, 200)}`,
                  );
              })
              .catch(
                (err: Error) => void problems.push(`${role} ${m.name}: no answer (${err.message})`),
              ),
          );
        }
        await new Promise((r) => setTimeout(r, 1000 / SOCKET_PER_SECOND));
      }
      if (!socket.connected) problems.push(`${role}: socket was disconnected`);
    }),
  );

  // ---- handshakes ----------------------------------------------------------------------------
  for (let i = 0; i < 8; i++) {
    counts.handshakes++;
    const auth = fuzz.breakOne({
      token: stack.tokenOf('chair').slice(0, 20),
      meetingId: meeting.id,
    });
    await open(
      (auth && typeof auth === 'object' ? auth : { token: auth }) as Record<string, string>,
    )
      .then((s) => {
        problems.push(`handshake ${JSON.stringify(auth).slice(0, 80)} connected`);
        s.close();
      })
      .catch((err: Error & { data?: { code?: string } }) => {
        if (err.data?.code === 'internal') problems.push(`handshake: internal (${err.message})`);
      });
  }

  // ---- HTTP ----------------------------------------------------------------------------------
  const site = districts[2]!;
  const linkId = stack.links[0]!.link.id;
  type Auth = 'admin' | 'chair' | 'station' | 'tech' | 'none' | 'garbage';
  interface Route {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string;
    body?: z.ZodType;
    sample?: unknown;
    /** Works without credentials (login): only a broken body or path keeps it harmless. */
    open?: true;
  }
  const m = `/api/meetings/${meeting.id}`;
  const routes: Route[] = [
    { method: 'GET', path: '/api/sites' },
    { method: 'GET', path: `/api/sites/${site.id}` },
    { method: 'GET', path: '/api/meetings' },
    { method: 'GET', path: m },
    { method: 'GET', path: `${m}/audit` },
    { method: 'GET', path: '/api/audit' },
    { method: 'GET', path: `${m}/links` },
    { method: 'GET', path: `${m}/readiness` },
    { method: 'GET', path: `${m}/readiness/report` },
    { method: 'GET', path: `${m}/readiness/history` },
    { method: 'GET', path: `${m}/notifications` },
    { method: 'GET', path: `${m}/convocation` },
    { method: 'GET', path: `${m}/attachments/${ids.checkId}` },
    { method: 'GET', path: '/api/jobs/failed' },
    { method: 'GET', path: '/api/me/meeting' },
    { method: 'GET', path: '/api/auth/me' },
    { method: 'GET', path: `/join/${stack.tokenOf('station')}` },
    { method: 'GET', path: '/ready' },
    { method: 'POST', path: '/api/sites', body: siteInputSchema, sample: hoaBinhDistrictSites[0] },
    {
      method: 'PUT',
      path: `/api/sites/${site.id}`,
      body: siteUpdateSchema,
      sample: { ...hoaBinhDistrictSites[2], version: 1 },
    },
    { method: 'DELETE', path: `/api/sites/${site.id}` },
    {
      method: 'POST',
      path: '/api/meetings',
      body: meetingInputSchema,
      sample: stack.meetingInput,
    },
    {
      method: 'PUT',
      path: m,
      body: meetingUpdateSchema,
      sample: { ...stack.meetingInput, version: meeting.version + 1 },
    },
    { method: 'DELETE', path: m },
    { method: 'POST', path: `${m}/actions/cancel` },
    { method: 'POST', path: `${m}/links`, body: issueLinkInputSchema, sample: { role: 'chair' } },
    { method: 'POST', path: `${m}/links/missing` },
    { method: 'POST', path: `${m}/links/${linkId}/reissue` },
    { method: 'DELETE', path: `${m}/links/${linkId}` },
    {
      method: 'POST',
      path: `${m}/attachments/links`,
      body: attachmentLinkInputSchema,
      sample: { title: 'Báo cáo', url: 'https://sogd.example.vn/bc.pdf' },
    },
    { method: 'DELETE', path: `${m}/attachments/${ids.checkId}` },
    {
      method: 'POST',
      path: `${m}/checks`,
      body: z.strictObject({ siteId: idSchema.optional() }).default({}),
      sample: { siteId: site.id },
    },
    {
      method: 'PUT',
      path: `${m}/sites/${site.id}/checklist`,
      body: checklistInputSchema,
      sample: CHECKLIST,
    },
    { method: 'POST', path: '/api/jobs/abc-1/retry' },
    {
      method: 'POST',
      path: '/api/auth/login',
      body: loginInputSchema,
      sample: STACK_ADMIN,
      open: true,
    },
  ];
  const authHeaders = (auth: Auth): Record<string, string> => {
    switch (auth) {
      case 'admin':
        return { cookie: stack.adminCookie };
      case 'chair':
        return { authorization: `Bearer ${stack.tokenOf('chair')}` };
      case 'station':
        return { authorization: `Bearer ${stack.tokenOf('station')}` };
      case 'tech':
        return { authorization: `Bearer ${stack.tokenOf('technician', site.id)}` };
      case 'none':
        return {};
      default:
        return fuzz.pick<Record<string, string>>([
          { authorization: `Bearer ${fuzz.string()}` },
          { authorization: 'Basic YWRtaW46YWRtaW4=' },
          { cookie: `diemcau_session=${fuzz.string()}` },
          { cookie: '\u0000' },
        ]);
    }
  };
  const brokenSegment = () =>
    encodeURIComponent(
      String(
        fuzz.pick(['%', '..', `${meeting.id}:links`, 'x'.repeat(300), fuzz.string(), '💥', '0']),
      ) || 'x',
    );
  for (let i = 0; i < HTTP_REQUESTS; i++) {
    const route = fuzz.pick(routes);
    const auth = fuzz.pick<Auth>(['admin', 'admin', 'chair', 'station', 'tech', 'none', 'garbage']);
    const headers: Record<string, string> = { ...authHeaders(auth) };
    let path = route.path;
    let payload: string | Buffer | undefined;
    let brokeParam = false;
    let validBody = false;
    const kind = fuzz.int(6);
    if (kind === 0 && path.split('/').length > 3) {
      const parts = path.split('/');
      parts[fuzz.int(parts.length - 3) + 3] = brokenSegment();
      path = parts.join('/');
      brokeParam = true;
    }
    if (kind === 1) {
      path += `?${Array.from(
        { length: 1 + fuzz.int(4) },
        () =>
          `${fuzz.pick(['state', 'limit', 'before', '__proto__', 'token', fuzz.string()])}=${fuzz.pick(
            [
              encodeURIComponent(JSON.stringify(fuzz.nasty())).slice(0, 3000),
              '%ZZ',
              'x'.repeat(5000),
              'live',
            ],
          )}`,
      ).join('&')}`;
    }
    if (kind === 2) {
      Object.assign(
        headers,
        fuzz.pick([
          { 'if-match': fuzz.pick(['"abc"', '*', 'W/"1"', '"99999999999999999999"']) },
          { origin: 'https://evil.example' },
          { 'x-forwarded-for': fuzz.string() },
          { 'content-type': fuzz.pick(['text/plain', 'application/xml', 'multipart/form-data']) },
          { 'sec-fetch-site': 'cross-site' },
          { 'accept-language': 'x'.repeat(4000) },
        ]),
      );
    }
    if (route.method !== 'GET') {
      if (kind === 3) {
        headers['content-type'] = 'application/json';
        payload = fuzz.pick([
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
          Buffer.from('{"a":'),
          Buffer.from('{"__proto__":{"polluted":1}}'),
          Buffer.alloc(fuzz.pick([10, 2 * 1024 * 1024]), 0x5b),
        ]);
      } else if (route.body) {
        const body = fuzz.chance(0.8) ? fuzz.breakOne(route.sample) : fuzz.randomJson(3);
        validBody = route.body.safeParse(body).success;
        headers['content-type'] ??= 'application/json';
        payload = JSON.stringify(body);
      }
      const credentialed = route.open === true || (auth !== 'none' && auth !== 'garbage');
      // Same-origin refuses these before anything is read (no Authorization header).
      const crossOrigin =
        (headers.origin !== undefined || headers['sec-fetch-site'] !== undefined) &&
        headers.authorization === undefined;
      const wrongType =
        headers['content-type'] !== undefined && headers['content-type'] !== 'application/json';
      const harmless =
        !credentialed ||
        brokeParam ||
        crossOrigin ||
        kind === 3 ||
        (route.body !== undefined && (!validBody || wrongType));
      if (!harmless) {
        counts.httpSkippedValid++;
        continue;
      }
    }
    counts.http++;
    const res = await service.app.inject({
      method: route.method,
      url: path,
      remoteAddress: `10.${fuzz.int(256)}.${fuzz.int(256)}.${fuzz.int(256)}`,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    counts.httpByStatus[res.statusCode] = (counts.httpByStatus[res.statusCode] ?? 0) + 1;
    if (res.statusCode >= 500)
      problems.push(
        `${route.method} ${path.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
      );
  }

  // ---- one address that keeps knocking: valid-looking tokens, then another role's doors ----
  // Refused requests count against the limits before authentication (issue 27, row 1).
  const knock = async (address: string, headers: Record<string, string>, url: string) => {
    for (let i = 1; i <= 700; i++) {
      const res = await service.app.inject({ url, remoteAddress: address, headers });
      counts.http++;
      if (res.statusCode === 429) return i;
      if (res.statusCode >= 500) problems.push(`knock ${url} → ${res.statusCode}`);
    }
    return undefined;
  };
  const validLooking = () => fuzz.pick(['A', 'b', '_', '-', '9']).repeat(43);
  const tokenGuess = await knock(
    '10.255.255.1',
    { authorization: `Bearer ${validLooking()}` },
    '/api/me/meeting',
  );
  t.ok(tokenGuess, `guessing tokens (43 url-safe characters) gets 429 (at request ${tokenGuess})`);
  const crossRole = await knock(
    '10.255.255.2',
    { authorization: `Bearer ${stack.tokenOf('technician', site.id)}` },
    '/api/sites',
  );
  t.ok(crossRole, `a technician at IT's doors (403) gets 429 (at request ${crossRole})`);
  const chairAtAdmin = await knock(
    '10.255.255.3',
    { authorization: `Bearer ${stack.tokenOf('chair')}` },
    `${m}/links`,
  );
  t.ok(chairAtAdmin, `the chair at the links list (403) gets 429 (at request ${chairAtAdmin})`);

  await socketRun;
  await Promise.all(pending);
  watching = false;
  await watch;

  // ---- what must still hold ------------------------------------------------------------------
  await waitForMedia(receiver, floorId, 'camera', 10_000);
  const after = await snapshot(service.redis);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
    (k) => before.get(k) !== after.get(k),
  );
  t.same(changed, [], 'Redis holds what it held before');
  for (const k of changed.slice(0, 5))
    t.comment(
      `${k}\n  before ${before.get(k)?.slice(0, 300)}\n  after  ${after.get(k)?.slice(0, 300)}`,
    );
  t.same(
    service.pool.workers.map((w) => w.worker.pid),
    workerPids,
    'no media worker died or was replaced',
  );
  t.ok(
    service.pool.workers.every((w) => !w.worker.closed),
    'workers alive',
  );
  const errorLogs = stack.logs.slice(logsBefore).filter((l) => /"level":(50|60)/.test(l));
  t.same(errorLogs.slice(0, 5), [], 'no error-level log line');
  t.same(
    problems.slice(0, 20),
    [],
    `no 5xx, no internal, every answer an error ack (${problems.length} problems)`,
  );
  const total = counts.http + counts.socket + counts.handshakes;
  t.ok(total >= 10_000, `at least 10,000 hostile inputs (${total})`);
  t.ok(counts.mediaSamples >= 5, 'media was watched throughout');
  t.comment(
    `fuzz seed ${SEED}: ${total} inputs in ${Math.round((Date.now() - started) / 1000)} s — ` +
      `HTTP ${counts.http} (skipped valid ${counts.httpSkippedValid}) by status ${JSON.stringify(counts.httpByStatus)}; ` +
      `socket ${counts.socket} (no-ack ${counts.socketNoAck}, skipped valid ${counts.socketSkippedValid}) by code ${JSON.stringify(counts.socketByCode)}; ` +
      `handshakes ${counts.handshakes}; media samples ${counts.mediaSamples}`,
  );
  for (const { socket } of roles) socket.close();
});
