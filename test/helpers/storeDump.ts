import type { Redis } from 'ioredis';

/** One Redis key as plain JSON (the fixture format of test/fixtures/store-*.json). */
export type DumpedKey =
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'hash'; value: Record<string, string> }
  | { key: string; type: 'set'; value: string[] }
  | { key: string; type: 'zset'; value: [string, string][] }
  | { key: string; type: 'list'; value: string[] }
  | { key: string; type: 'stream'; value: [string, string[]][] };

/** Every key under `prefix` (named without it), sorted; `skip` leaves out runtime keys. */
export async function dumpKeys(
  redis: Redis,
  prefix: string,
  skip: (key: string) => boolean = () => false,
): Promise<DumpedKey[]> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    names.push(...batch.map((k) => k.slice(prefix.length)).filter((k) => !skip(k)));
  } while (cursor !== '0');
  const out: DumpedKey[] = [];
  for (const key of names.sort()) {
    const full = prefix + key;
    const type = await redis.type(full);
    if (type === 'string') out.push({ key, type, value: (await redis.get(full))! });
    else if (type === 'hash') out.push({ key, type, value: await redis.hgetall(full) });
    else if (type === 'set') out.push({ key, type, value: (await redis.smembers(full)).sort() });
    else if (type === 'zset') {
      const flat = await redis.zrange(full, 0, -1, 'WITHSCORES');
      const pairs: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
      out.push({ key, type, value: pairs });
    } else if (type === 'list') out.push({ key, type, value: await redis.lrange(full, 0, -1) });
    else if (type === 'stream')
      out.push({ key, type, value: (await redis.xrange(full, '-', '+')) as [string, string[]][] });
    else throw new Error(`${full}: type ${type} not handled`);
  }
  return out;
}

/** Writes dumped keys under `prefix` (the store must not hold them yet). */
export async function loadKeys(redis: Redis, prefix: string, keys: readonly DumpedKey[]) {
  const m = redis.multi();
  for (const k of keys) {
    const full = prefix + k.key;
    if (k.type === 'string') m.set(full, k.value);
    else if (k.type === 'hash') m.hset(full, k.value);
    else if (k.type === 'set') m.sadd(full, ...k.value);
    else if (k.type === 'zset')
      m.zadd(full, ...k.value.flatMap(([member, score]) => [score, member]));
    else if (k.type === 'list') m.rpush(full, ...k.value);
    else for (const [id, fields] of k.value) m.xadd(full, id, ...fields);
  }
  await m.exec();
}
