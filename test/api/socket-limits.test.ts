import { randomBytes } from 'node:crypto';
import { connect, type Socket as NetSocket } from 'node:net';
import t from 'tap';
import { AppError } from '../../protocol/errors.js';
import { HandshakeLimiter, withinConcurrency } from '../../signaling/requestLimits.js';
import { handshake, type ServiceStack, startServiceStack } from '../helpers/serviceStack.js';

/*
 * Socket handshakes per address, failed token use per address, and per-connection concurrency of
 * the expensive check requests (issue 10, item 9): the module alone, then the running service.
 */

const codeOf = (fn: () => void) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as AppError).code;
  }
};

t.test('handshake budget per address', async (t) => {
  let now = 1_000_000;
  const limiter = new HandshakeLimiter(
    { burst: 3, perSecond: 1, maxFailures: 2, failureWindowMs: 60_000 },
    () => now,
  );
  t.same(
    [1, 2, 3, 4].map(() => codeOf(() => limiter.admit('198.51.100.1'))),
    ['ok', 'ok', 'ok', 'rate_limited'],
  );
  t.equal(
    codeOf(() => limiter.admit('198.51.100.2')),
    'ok',
    'another address has its own',
  );
  now += 1000;
  t.equal(
    codeOf(() => limiter.admit('198.51.100.1')),
    'ok',
    'one earned back per second',
  );
  limiter.failed('198.51.100.3');
  limiter.failed('198.51.100.3');
  t.equal(
    codeOf(() => limiter.admit('198.51.100.3')),
    'rate_limited',
    'too many failures',
  );
  now += 60_000;
  t.equal(
    codeOf(() => limiter.admit('198.51.100.3')),
    'ok',
    'failures age out',
  );
});

t.test('expensive requests: one in flight per connection', async (t) => {
  const connection = {};
  let release!: () => void;
  const first = withinConcurrency(
    connection,
    'measureUplink',
    () => new Promise<string>((ok) => (release = () => ok('measured'))),
  );
  await t.rejects(
    withinConcurrency(connection, 'measureUplink', async () => 'twice'),
    { code: 'rate_limited' },
  );
  t.equal(await withinConcurrency({}, 'measureUplink', async () => 'other'), 'other');
  t.equal(await withinConcurrency(connection, 'join', async () => 'cheap'), 'cheap');
  release();
  t.equal(await first, 'measured');
  t.equal(await withinConcurrency(connection, 'measureUplink', async () => 'again'), 'again');
  await t.rejects(
    withinConcurrency(connection, 'beginCheck', async () => {
      throw new AppError('conflict', { vi: 'chưa mở', en: 'no window' });
    }),
    { code: 'conflict' },
  );
  t.equal(await withinConcurrency(connection, 'beginCheck', async () => 'freed'), 'freed');
});

t.test('against the service', async (t) => {
  const stack: ServiceStack = await startServiceStack(t);
  const open = async (auth: Record<string, string>) => {
    const h = await handshake(stack.service.url, auth);
    return h.ok ? { socket: h.socket } : { code: h.code };
  };

  t.test('concurrent beginCheck calls from one site', async (t) => {
    const { socket } = await open({ token: stack.tokenOf('technician', stack.districts[0]!.id) });
    t.ok(socket, 'site connected');
    // Requests sent before the server has placed the socket in its meeting go unanswered.
    for (let joined = false; !joined; ) {
      joined = await socket!
        .timeout(1000)
        .emitWithAck('join', {})
        .then(() => true)
        .catch(() => false);
    }
    const answers = await Promise.all(
      Array.from(
        { length: 30 },
        () =>
          new Promise<{ ok: boolean; error?: { code: string } }>((resolve) =>
            socket!.emit('beginCheck', {}, resolve),
          ),
      ),
    );
    socket!.close();
    // Packets may arrive in more than one read, so a later call can start after the first ended;
    // what must hold is that calls made while one runs are refused.
    const limited = answers.filter((a) => a.error?.code === 'rate_limited').length;
    t.ok(limited >= 20, `calls made while one ran were refused (${limited} of 30)`);
  });

  t.test('raw engine.io connections spend the handshake budget (issue 27, row 10)', async (t) => {
    const { port } = new URL(stack.service.url);
    const sockets: NetSocket[] = [];
    t.teardown(() => {
      for (const s of sockets) s.destroy();
    });
    // A bare WebSocket upgrade to engine.io, never a socket.io handshake; from another address
    // than the other subtests' (127.0.0.27 is loopback too). Open: the engine's "0{…}" packet.
    const rawWebSocket = () =>
      new Promise<'open' | 'refused'>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port: Number(port),
          localAddress: '127.0.0.27',
        });
        sockets.push(socket);
        let got = '';
        socket.on('connect', () =>
          socket.write(
            'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
              'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
              `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
          ),
        );
        socket.on('data', (d) => {
          got += d.toString('latin1');
          if (/^HTTP\/1\.1 101/.test(got) && got.includes('0{')) resolve('open');
          else if (/^HTTP\/1\.1 [2-5]\d\d/.test(got) && !/^HTTP\/1\.1 101/.test(got))
            resolve('refused');
        });
        socket.on('error', () => resolve('refused'));
        socket.on('close', () => resolve('refused'));
      });
    const outcomes = await Promise.all(Array.from({ length: 80 }, rawWebSocket));
    const opened = outcomes.filter((o) => o === 'open').length;
    t.ok(opened <= 60, `at most the burst (60) opened: ${opened} of 80`);
    t.ok(opened >= 50, `the budget is there for the first ones (${opened})`);
  });

  t.test('handshakes with a wrong token are limited per address', async (t) => {
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 30; i++) codes.push((await open({ token: 'x'.repeat(43) })).code);
    t.equal(codes[0], 'unauthorized');
    t.ok(codes.includes('rate_limited'), `limited (${codes.join(' ')})`);
    const right = await open({ token: stack.tokenOf('chair') });
    t.equal(right.code, 'rate_limited', 'the address waits, even with a right token');
    right.socket?.close();
  });
});
