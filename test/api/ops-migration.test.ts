import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { loadConfig } from '../../config/index.js';
import { connectRedis } from '../../server/redis/connectRedis.js';
import { Service } from '../../server/Service.js';
import {
  migrateStore,
  SCHEMA_VERSION,
  StoreTooNewError,
} from '../../server/store/schemaVersion.js';
import { tempDir } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';
import { type DumpedKey, loadKeys } from '../helpers/storeDump.js';

/*
 * An upgrade: Redis holds what a release before schema versions wrote (test/fixtures/
 * store-v1.json: the demo department, a meeting with its links, a report request with a
 * submitted report, a site's attendance, the audit; no schema marker). The service starts on
 * it, migrates to the current schema, and every record reads back unchanged. Data marked with
 * a newer schema is refused at start with both versions named.
 */

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'store-v1.json'), 'utf8'),
) as DumpedKey[];

let rtcPort = 47000 + (process.pid % 150) * 10;

async function start(t: Test, redisUrl: string, prefix: string, logs: string[] = []) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  rtcPort += 10;
  return Service.start({
    config: loadConfig({
      env: {
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        PORT: '0',
        HOST: '127.0.0.1',
        RTC_PORT_BASE: String(rtcPort),
        RTC_LISTEN_IP: '127.0.0.1',
        MEDIASOUP_WORKERS: '1',
        DATA_DIR: tempDir(t, 'diemcau-migration-'),
      },
    }),
    logger: pino({ level: 'info' }, sink),
  });
}

t.test('data of the previous schema is migrated; every meeting reads back unchanged', async (t) => {
  t.ok(fixture.length > 50, `${fixture.length} keys in the fixture`);
  t.notOk(
    fixture.some((k) => k.key === 'schema'),
    'the fixture has no schema marker (schema 1)',
  );
  const redis = await startTestRedis(t);
  const prefix = `diemcau-${randomUUID().slice(0, 8)}`;
  const client = await connectRedis(redis.url, testLogger);
  t.teardown(() => client.disconnect());
  await loadKeys(client, `${prefix}:`, fixture);

  const logs: string[] = [];
  const service = await start(t, redis.url, prefix, logs);
  t.teardown(() => service.close('test done'));
  t.match(logs.join('\n'), /"from":1,"to":2.*migrating stored data/, 'the start-up log says 1 → 2');
  const marker = JSON.parse((await client.get(`${prefix}:schema`))!) as {
    version: number;
    app: string;
  };
  t.equal(marker.version, SCHEMA_VERSION, `the data is marked schema ${SCHEMA_VERSION}`);
  t.equal(marker.app, JSON.parse(readFileSync('package.json', 'utf8')).version);

  const stored = (key: string) => {
    const k = fixture.find((f) => f.key === key);
    if (k?.type !== 'string') throw new Error(`${key} not in fixture`);
    return JSON.parse(k.value) as unknown;
  };
  const meetingIds = fixture
    .filter((k) => /^meeting:[^:]+$/.test(k.key))
    .map((k) => k.key.slice(8));
  const siteIds = fixture.filter((k) => /^site:[^:]+$/.test(k.key)).map((k) => k.key.slice(5));
  t.ok(
    meetingIds.length >= 1 && siteIds.length >= 12,
    `${meetingIds.length} meetings, ${siteIds.length} sites`,
  );
  for (const id of meetingIds) {
    t.same(await service.data.meetings.get(id), stored(`meeting:${id}`), `meeting ${id} unchanged`);
    const links = await service.data.access.listLinks(id);
    t.ok(links.length > 0, `meeting ${id}: ${links.length} links read`);
    const requests = await service.data.reports.list(id);
    for (const r of requests) {
      const board = await service.data.reports.board(id, r.id);
      t.ok(
        board.rows.some((row) => row.submittedAt),
        `report request ${r.id}: the submitted report is there`,
      );
    }
    const attendance = await service.data.attendance.summary(id);
    t.equal(attendance.totals.confirmed, 1, `meeting ${id}: the confirmed attendance is there`);
  }
  for (const id of siteIds) t.same(await service.data.sites.get(id), stored(`site:${id}`));

  // Run again (the next start): the data is current, nothing to do.
  t.same(
    await migrateStore(service.data.store, testLogger),
    { from: 2, to: 2 },
    'nothing to migrate the second time',
  );
});

t.test('data of a newer schema is refused, naming both versions', async (t) => {
  const redis = await startTestRedis(t);
  const prefix = `diemcau-${randomUUID().slice(0, 8)}`;
  const client = await connectRedis(redis.url, testLogger);
  t.teardown(() => client.disconnect());
  await loadKeys(client, `${prefix}:`, fixture);
  await client.set(
    `${prefix}:schema`,
    JSON.stringify({ version: SCHEMA_VERSION + 1, app: '9.0.0', at: new Date().toISOString() }),
  );
  const err = await start(t, redis.url, prefix).then(
    (s) => {
      void s.close('unexpected');
      return undefined;
    },
    (e: Error) => e,
  );
  t.type(err, StoreTooNewError);
  t.match(
    err?.message,
    new RegExp(
      `schema version ${SCHEMA_VERSION + 1}, written by diemcau 9\\.0\\.0; this release \\(diemcau [\\d.]+\\) reads schema version ${SCHEMA_VERSION} and older`,
    ),
  );
  t.equal(
    JSON.parse((await client.get(`${prefix}:schema`))!).version,
    SCHEMA_VERSION + 1,
    'the newer data is left as it was',
  );
});
