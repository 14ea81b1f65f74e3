import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import type { SignalingPrincipal } from '../../signaling/SignalingServer.js';
import { waitFor } from '../helpers/browser.js';
import { startMediaStack } from '../helpers/mediaStack.js';

/*
 * The session's limits and lifetime over real sockets and a real mediasoup worker, with
 * socket.io-client in Node standing in for a page (no media flows; transports and producers
 * are real worker objects): the first request on a fresh session is answered, concurrent
 * requests cannot pass a limit, an idle session closes and leaves nothing on the worker.
 */

type Ack =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; error: { code: string; message: { vi: string; en: string } } };

function connect(url: string, token: string): Socket {
  return io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
}

function request(socket: Socket, name: string, payload: unknown = {}): Promise<Ack> {
  return socket.timeout(10_000).emitWithAck(name, payload) as Promise<Ack>;
}

const opus = {
  mid: '0',
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      parameters: { useinbandfec: 1 },
      rtcpFeedback: [],
    },
  ],
  headerExtensions: [],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'limits-test', reducedSize: true },
};

const site = (meetingId: string, siteId: string): SignalingPrincipal => ({
  role: 'site',
  meetingId,
  siteId,
  name: `Điểm cầu ${siteId}`,
});

t.test('the first join on ten fresh sessions is answered at once', async (t) => {
  const tokens: Record<string, SignalingPrincipal> = {};
  for (let i = 0; i < 10; i++) tokens[`t${i}`] = site(`meeting-${i}`, `s${i}`);
  const stack = await startMediaStack(t, { tokens });
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const socket = connect(stack.url, `t${i}`);
    t.teardown(() => void socket.close());
    // Emitted before the connection is up: socket.io sends it right after the handshake, while
    // the server is still opening the session (the request used to be dropped then).
    const started = Date.now();
    const answer = await request(socket, 'join');
    times.push(Date.now() - started);
    t.ok(answer.ok, `meeting ${i}: join answered`);
  }
  // A dropped request would wait for its 10 s timeout; a busy machine (the suite runs files
  // side by side) may take a second or two to open a session.
  t.ok(
    Math.max(...times) < 5000,
    `every first join answered, none waited for the timeout (${times.join(', ')} ms)`,
  );
  t.equal(stack.signaling.sessionCount, 10, 'ten sessions open');
});

t.test('limits per connection hold under concurrent requests', async (t) => {
  const stack = await startMediaStack(t, { tokens: { a: site('m', 'a') } });
  const socket = connect(stack.url, 'a');
  t.teardown(() => void socket.close());
  t.ok((await request(socket, 'join')).ok);
  const session = stack.signaling.session('m')!;

  await t.test('30 concurrent produce for one source make exactly one producer', async (t) => {
    const send = await request(socket, 'createTransport', { direction: 'send' });
    t.ok(send.ok, 'send transport');
    const transportId = send.ok ? (send.data.transportId as string) : '';
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        request(socket, 'produce', {
          transportId,
          kind: 'audio',
          source: 'microphone',
          rtpParameters: opus,
        }),
      ),
    );
    const ok = answers.filter((a) => a.ok);
    t.equal(ok.length, 1, 'one produce succeeds');
    const codes = new Set(answers.flatMap((a) => (a.ok ? [] : [a.error.code])));
    t.same([...codes], ['conflict'], 'the others are refused with an error acknowledgement');
    t.match(
      answers.find((a) => !a.ok)!,
      { error: { message: { en: /limit 1 per source/ } } },
      'naming the limit',
    );
    t.equal(session.participant('site:a')!.media!.producers.size, 1, 'one producer on the worker');
  });

  await t.test('1,000 createTransport from one link: one per direction', async (t) => {
    const worker = stack.pool.workers[0]!.worker;
    const before = (await worker.getResourceUsage()).ru_maxrss;
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => request(socket, 'createTransport', { direction: 'recv' })),
    );
    const created = answers.filter((a) => a.ok).length;
    const codes: Record<string, number> = {};
    for (const a of answers) if (!a.ok) codes[a.error.code] = (codes[a.error.code] ?? 0) + 1;
    t.equal(created, 1, `one receive transport created (refused: ${JSON.stringify(codes)})`);
    t.equal(session.participant('site:a')!.media!.transports.size, 2, 'send + receive, no more');
    const dump = await worker.dump();
    t.equal(dump.routerIds.length, 1, 'one router');
    const after = (await worker.getResourceUsage()).ru_maxrss;
    t.ok(after - before < 20_000, `worker memory flat (max RSS ${before} → ${after} kB)`);
  });

  await t.test('closing the socket closes its transports', async (t) => {
    const media = session.participant('site:a')!.media!;
    const transports = [...media.transports.values()];
    socket.close();
    await waitFor(() => transports.every((x) => x.closed), 5000, 'transports closed');
    t.pass('every transport of the closed socket is closed');
  });
});

t.test('an idle session closes its media and reopens on the next join', async (t) => {
  const stack = await startMediaStack(t, {
    tokens: { a: site('idle', 'a'), b: site('idle', 'b') },
    idleCloseMs: 400,
  });
  const a = connect(stack.url, 'a');
  t.ok((await request(a, 'join')).ok);
  t.ok((await request(a, 'createTransport', { direction: 'recv' })).ok);
  const session = stack.signaling.session('idle')!;
  const room = session.room;
  const closed: string[] = [];
  session.on('closed', (reason) => closed.push(reason));
  a.close();
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(session.isClosed, 'not before the grace period');
  await waitFor(() => session.isClosed, 3000, 'idle session closed');
  t.same(closed, ['idle'], 'closed once, as idle');
  t.ok(room.isClosed, 'its room is closed');
  t.equal(stack.signaling.session('idle'), undefined, 'dropped from the server');
  for (const w of stack.pool.workers) {
    const dump = await w.worker.dump();
    t.equal(dump.routerIds.length, 0, `worker ${w.index}: no router, so no transport or consumer`);
  }
  const b = connect(stack.url, 'b');
  t.teardown(() => void b.close());
  t.ok((await request(b, 'join')).ok, 'the next join reopens it');
  t.not(stack.signaling.session('idle'), session, 'a new session');
  t.ok((await request(b, 'createTransport', { direction: 'recv' })).ok);
});

t.test('closing a session closes its room, routers, transports and consumers', async (t) => {
  const stack = await startMediaStack(t, {
    tokens: { a: site('c', 'a'), b: site('c', 'b') },
    numWorkers: 2,
    maxConsumersPerRouter: 10,
  });
  const sockets = ['a', 'b'].map((tk) => connect(stack.url, tk));
  t.teardown(() => {
    for (const s of sockets) s.close();
  });
  for (const s of sockets) {
    t.ok((await request(s, 'join')).ok);
    t.ok((await request(s, 'createTransport', { direction: 'send' })).ok);
    t.ok((await request(s, 'createTransport', { direction: 'recv' })).ok);
  }
  const session = stack.signaling.session('c')!;
  const transports = ['site:a', 'site:b'].flatMap((id) => [
    ...session.participant(id)!.media!.transports.values(),
  ]);
  const disconnected = sockets.map((s) => new Promise((r) => s.once('disconnect', r)));
  session.close('test');
  t.ok(session.room.isClosed, 'room closed');
  t.ok(
    transports.every((x) => x.closed),
    'every transport closed',
  );
  await Promise.all(disconnected);
  t.pass('every socket disconnected');
  for (const w of stack.pool.workers) {
    const dump = await w.worker.dump();
    t.equal(dump.routerIds.length, 0, `worker ${w.index} has no router left`);
  }
  t.equal(stack.signaling.sessionCount, 0);
});
