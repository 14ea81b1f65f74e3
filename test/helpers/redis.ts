import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { RedisServerProcess } from '../../server/redis/RedisServerProcess.js';
import { testLogger } from './logger.js';

export interface TestRedis {
  url: string;
  dir: string;
  process: RedisServerProcess;
}

/** A real, private redis-server for one test file (or test), removed on teardown. */
export async function startTestRedis(t: Test): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-redis-'));
  const proc = await RedisServerProcess.start({ bin: 'redis-server', dir, logger: testLogger });
  t.teardown(async () => {
    await proc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: proc.url, dir, process: proc };
}
