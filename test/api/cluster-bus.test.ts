import { Redis } from 'ioredis';
import t from 'tap';
import { AppError } from '../../protocol/errors.js';
import { ClusterBus } from '../../server/cluster/ClusterBus.js';
import { waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * The bus between nodes on a real Redis: an event reaches the other nodes and not its sender; a
 * request reaches one node and brings its answer back, or its AppError (code and details kept);
 * a node that does not answer is 'unavailable' after the timeout; closing leaves nothing waiting.
 */

t.test('events and requests between nodes', async (t) => {
  const redis = await startTestRedis(t);
  const clients: Redis[] = [];
  const bus = async (nodeId: string) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const b = await ClusterBus.start({
      redis: client,
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
    node.on('ping', (payload, from) => {
      heard.push(`${name}<-${from}:${(payload as { n: number }).n}`);
    });
  await a.publish('ping', { n: 1 });
  await waitFor(() => heard.length >= 2, 2000, 'both other nodes hear it');
  await new Promise((r) => setTimeout(r, 200));
  t.same(heard.sort(), ['b<-a:1', 'c<-a:1'], 'every other node hears an event, not its sender');

  b.handle('add', async (payload, from) => {
    const { x, y } = payload as { x: number; y: number };
    return { sum: x + y, from };
  });
  t.same(await a.request('b', 'add', { x: 2, y: 3 }), { sum: 5, from: 'a' }, 'b answers a');

  b.handle('refuse', async () => {
    throw new AppError('conflict', { vi: 'đã kết thúc', en: 'already ended' }, { state: 'ended' });
  });
  const refused = await a.request('b', 'refuse', {}).catch((err: unknown) => err);
  t.ok(refused instanceof AppError, 'a refusal comes back as an AppError');
  t.match(refused, { code: 'conflict', details: { state: 'ended' } }, 'with its code and details');

  const missing = await a.request('c', 'nothing', {}).catch((err: unknown) => err);
  t.match(missing, { code: 'not_found' }, 'a request nobody handles is not_found');

  const started = Date.now();
  const silent = await a.request('gone', 'add', {}, 300).catch((err: unknown) => err);
  t.match(silent, { code: 'unavailable' }, "a node that does not answer is 'unavailable'");
  t.ok(Date.now() - started < 1500, 'after the timeout');

  const pending = a.request('gone', 'add', {}, 10_000).catch((err: unknown) => err);
  a.close();
  t.match(await pending, { code: 'unavailable' }, 'closing ends what was waiting');
});
