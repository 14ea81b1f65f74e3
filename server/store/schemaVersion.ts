import { z } from 'zod';
import { meetingSchema } from '../../protocol/meetings.js';
import { siteSchema } from '../../protocol/sites.js';
import type { Logger } from '../logger.js';
import { appVersion } from '../ops/appVersion.js';
import type { RedisStore } from './RedisStore.js';
import { storedLinkSchema } from './records.js';

/**
 * The shape of the stored data, as one number for the whole key space (KEYS.md, "Schema
 * version"). Raise it with every change to a stored record's shape and add the step that
 * brings the previous shape to the new one in `migrations`.
 *
 * 1: releases before the data carried a version (no `schema` key).
 * 2: the `schema` key; record shapes as in 1.
 */
export const SCHEMA_VERSION = 2;

const markerSchema = z.object({
  version: z.int().positive(),
  /** The release that wrote this version. */
  app: z.string(),
  at: z.string(),
});
export type SchemaMarker = z.infer<typeof markerSchema>;

/** The service refuses data written by a newer release: it could not read it right. */
export class StoreTooNewError extends Error {
  override readonly name = 'StoreTooNewError';
}

type Migration = (store: RedisStore, logger: Logger) => Promise<void>;

/** Every record of one kind, checked against this release's schema (a corrupt one stops the start). */
async function checkRecords(
  store: RedisStore,
  index: string,
  key: (id: string) => string,
  schema: z.ZodType,
): Promise<number> {
  const ids = await store.redis.zrange(index, 0, -1);
  for (let i = 0; i < ids.length; i += 500) {
    const keys = ids.slice(i, i + 500).map(key);
    await store.mgetJson(keys, schema);
  }
  return ids.length;
}

/** migrations[n] brings data of version n to n + 1. */
const migrations: Record<number, Migration> = {
  // Same shapes: check that every record reads with this release's schemas before marking it.
  1: async (store, logger) => {
    const k = store.keys;
    const meetings = await checkRecords(store, k.meetings, (id) => k.meeting(id), meetingSchema);
    const sites = await checkRecords(store, k.sites, (id) => k.site(id), siteSchema);
    let links = 0;
    for (const meetingId of await store.redis.zrange(k.meetings, 0, -1)) {
      const ids = await store.redis.smembers(k.meetingLinks(meetingId));
      await store.mgetJson(
        ids.map((id) => k.link(id)),
        storedLinkSchema,
      );
      links += ids.length;
    }
    logger.info({ meetings, sites, links }, 'schema 1 → 2: every record reads as version 2');
  },
};

export async function readSchemaMarker(store: RedisStore): Promise<SchemaMarker | undefined> {
  return store.getJson(store.keys.schemaVersion, markerSchema);
}

/** Data written before the marker existed: any of the department's records. */
async function hasUnmarkedData(store: RedisStore): Promise<boolean> {
  const k = store.keys;
  return (await store.redis.exists(k.meetings, k.sites, k.users)) > 0;
}

async function writeMarker(store: RedisStore, version: number): Promise<void> {
  const marker: SchemaMarker = { version, app: appVersion(), at: new Date().toISOString() };
  await store.redis.set(store.keys.schemaVersion, JSON.stringify(marker));
}

/**
 * Brings the stored data to SCHEMA_VERSION at start-up, one step at a time, each step marked
 * when done (an interrupted run resumes where it stopped). One node migrates; others wait.
 * Data of a newer version is refused with both versions named.
 */
export async function migrateStore(
  store: RedisStore,
  logger: Logger,
  options: { target?: number; waitMs?: number } = {},
): Promise<{ from: number; to: number }> {
  const target = options.target ?? SCHEMA_VERSION;
  const log = logger.child({ component: 'schema' });
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  for (;;) {
    const marker = await readSchemaMarker(store);
    const from = marker?.version ?? ((await hasUnmarkedData(store)) ? 1 : target);
    if (from > target) {
      throw new StoreTooNewError(
        `The data in Redis (prefix "${store.prefix}") has schema version ${from}` +
          `${marker ? `, written by diemcau ${marker.app}` : ''}; this release (diemcau ${appVersion()}) ` +
          `reads schema version ${target} and older. Run the newer release, or restore a backup made with this one.`,
      );
    }
    if (from === target) {
      if (!marker) await writeMarker(store, target);
      return { from, to: target };
    }
    const lock = await store.redis.set(
      store.keys.schemaMigrationLock,
      String(process.pid),
      'PX',
      600_000,
      'NX',
    );
    if (lock !== 'OK') {
      if (Date.now() > deadline)
        throw new Error(
          `another node has been migrating the data for too long (${store.keys.schemaMigrationLock})`,
        );
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      log.warn(
        { from, to: target },
        'migrating stored data / đang chuyển dữ liệu sang phiên bản mới',
      );
      for (let v = from; v < target; v++) {
        const step = migrations[v];
        if (!step) throw new Error(`no migration from schema version ${v} to ${v + 1}`);
        await step(store, log);
        await writeMarker(store, v + 1);
        log.info({ version: v + 1 }, 'schema migration step done');
      }
      return { from, to: target };
    } finally {
      await store.redis.del(store.keys.schemaMigrationLock);
    }
  }
}
