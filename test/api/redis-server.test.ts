import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import t from 'tap';
import {
  RedisServerMissingError,
  RedisServerProcess,
} from '../../server/redis/RedisServerProcess.js';
import { testLogger } from '../helpers/logger.js';

t.test('private redis-server keeps data across a restart (append-only file)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-redis-'));
  const first = await RedisServerProcess.start({ bin: 'redis-server', dir, logger: testLogger });
  t.match(
    first.url,
    /^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/,
    'loopback only, with a password',
  );
  const c1 = new Redis(first.url);
  await c1.set('meeting:1', 'Hội nghị giao ban trực tuyến tháng 11');
  t.equal(await c1.config('GET', 'appendonly').then((r) => (r as string[])[1]), 'yes');
  await c1.quit();
  await first.close();
  await first.close(); // idempotent

  const second = await RedisServerProcess.start({ bin: 'redis-server', dir, logger: testLogger });
  const c2 = new Redis(second.url);
  t.equal(await c2.get('meeting:1'), 'Hội nghị giao ban trực tuyến tháng 11');
  await c2.quit();
  await second.close();
});

t.test('a second instance on the same data folder is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-redis-'));
  const first = await RedisServerProcess.start({ bin: 'redis-server', dir, logger: testLogger });
  t.teardown(() => first.close());
  await t.rejects(RedisServerProcess.start({ bin: 'redis-server', dir, logger: testLogger }), {
    message: /is diemcau already running with this DATA_DIR/,
  });
});

t.test('a missing binary says how to install it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-redis-'));
  const err = await RedisServerProcess.start({
    bin: 'no-such-redis-server',
    dir,
    logger: testLogger,
  }).catch((e) => e);
  t.type(err, RedisServerMissingError);
  t.match(err.message, /apt-get install redis-server/);
  t.match(err.message, /REDIS_URL/);
});
