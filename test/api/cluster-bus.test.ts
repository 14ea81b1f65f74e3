import { Redis } from 'ioredis';
import t from 'tap';
import { AppError } from '../../protocol/errors.js';
import { ClusterBus, redisTransport } from '../../server/cluster/ClusterBus.js';
import { waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * The bus between nodes on a real Redis, with the messages of its contract
 * (protocol/clusterBus.ts): an event reaches the other nodes and not its sender; a request
 * reaches one node and brings its answer back, or its AppError (code and details kept); a
 * payload outside the contract is refused; a node nobody listens for fails at once and one that
 * listens but does not answer is 'unavailable' after the timeout; closing leaves nothing waiting.
 */

t.test('events and requests between nodes', async (t) => {
  const redis = await startTestRedis(t);
  const clients: Redis[] = [];
  const bus = async (nodeId: string) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const b = await ClusterBus.start({
      transport: redisTransport(client, testLogger),
      prefix: 'bus-test:',
      nodeId,
      logger: testLogger,
    });
    t.teardown(() => b.close());
    return b;
  };
  t.teardown(() => {
    for (const c of clients) c.disconnect();
  });
  const [a, b, c] = [await bus('a'), await bus('b'), await bus('c')];

  const heard: string[] = [];
  for (const [name, node] of [
    ['a', a],
    ['b', b],
    ['c', c],
  ] as const)
    node.on('live.rosterRequest', ({ meetingId }, from) => {
      heard.push(`${name}<-${from}:${meetingId}`);
    });
  await a.publish('live.rosterRequest', { meetingId: 'm1' });
  await waitFor(() => heard.length >= 2, 2000, 'both other nodes hear it');
  await new Promise((r) => setTimeout(r, 200));
  t.same(heard.sort(), ['b<-a:m1', 'c<-a:m1'], 'every other node hears an event, not its sender');

  const forward = { meetingId: 'm1', endpointId: 'site:1', name: 'raiseHand', payload: {} };
  b.handle('live.forward', async (r, from) => ({ asked: r.name, from }));
  t.same(
    await a.request('b', 'live.forward', forward),
    { asked: 'raiseHand', from: 'a' },
    'b answers a',
  );
  const bad = await a
    .request('b', 'live.forward', { ...forward, name: 'noSuchRequest' })
    .catch((err: unknown) => err);
  t.match(bad, { code: 'bad_request' }, 'a payload outside the contract is refused');

  c.handle('live.forward', async () => {
    throw new AppError('conflict', { vi: 'đã kết thúc', en: 'already ended' }, { state: 'ended' });
  });
  const refused = await a.request('c', 'live.forward', forward).catch((err: unknown) => err);
  t.ok(refused instanceof AppError, 'a refusal comes back as an AppError');
  t.match(refused, { code: 'conflict', details: { state: 'ended' } }, 'with its code and details');

  const missing = await a
    .request('c', 'cascade.close', { linkId: 'x' })
    .catch((err: unknown) => err);
  t.match(missing, { code: 'not_found' }, 'a request nobody handles is not_found');

  t.ok(await a.listening('b'), 'a process listens for b');
  t.notOk(await a.listening('gone'), 'none for a node that is not running');
  let started = Date.now();
  const gone = await a.request('gone', 'cascade.close', { linkId: 'x' }).catch((e: unknown) => e);
  t.match(gone, { code: 'unavailable' }, "a node nobody listens for is 'unavailable'");
  t.ok(Date.now() - started < 200, `at once (${Date.now() - started} ms)`);

  b.handle('cascade.close', () => new Promise(() => {}));
  started = Date.now();
  const silent = await a
    .request('b', 'cascade.close', { linkId: 'x' }, 300)
    .catch((err: unknown) => err);
  t.match(silent, { code: 'unavailable' }, "a node that does not answer is 'unavailable'");
  t.ok(Date.now() - started < 1500, 'after the timeout');

  const pending = a
    .request('b', 'cascade.close', { linkId: 'x' }, 10_000)
    .catch((err: unknown) => err);
  a.close();
  t.match(await pending, { code: 'unavailable' }, 'closing ends what was waiting');
});
