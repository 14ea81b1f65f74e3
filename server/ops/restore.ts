import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import { RedisServerProcess } from '../redis/RedisServerProcess.js';
import { SCHEMA_VERSION } from '../store/schemaVersion.js';
import { appVersion } from './appVersion.js';
import { type BackupManifest, isRuntimeKey, manifestSchema } from './backup.js';

const run = promisify(execFile);

/** A restore that would mix two departments' data, or read what this release cannot. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and checks an extracted archive: its manifest, then every file's checksum. */
async function verify(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  } catch (err) {
    throw new RestoreRefusedError(
      `not a diemcau backup (manifest.json: ${(err as Error).message})`,
    );
  }
  for (const f of manifest.files) {
    const path = join(dir, f.path);
    if (!existsSync(path)) throw new RestoreRefusedError(`the archive lacks ${f.path}`);
    if ((await sha256(path)) !== f.sha256)
      throw new RestoreRefusedError(
        `${f.path} does not match its checksum: the archive is damaged`,
      );
  }
  if (manifest.schemaVersion > SCHEMA_VERSION)
    throw new RestoreRefusedError(
      `the backup holds schema version ${manifest.schemaVersion} (diemcau ${manifest.app}); this release ` +
        `(diemcau ${appVersion()}) reads version ${SCHEMA_VERSION} and older: restore it with a newer release`,
    );
  return manifest;
}

/** Copies every key of the prefix (with its time to live) from one Redis to another. */
async function copyKeys(from: Redis, to: Redis, prefix: string): Promise<number> {
  let copied = 0;
  let cursor = '0';
  do {
    const [next, batch] = await from.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    const keys = batch.filter((k) => !isRuntimeKey(k, prefix));
    if (keys.length === 0) continue;
    const read = from.pipeline();
    for (const k of keys) read.dumpBuffer(k).pttl(k);
    const answers = (await read.exec()) ?? [];
    const write = to.pipeline();
    keys.forEach((k, i) => {
      const payload = answers[2 * i]?.[1] as Buffer | null;
      const ttl = answers[2 * i + 1]?.[1] as number;
      if (!payload || ttl === -2) return;
      write.restore(k, ttl > 0 ? ttl : 0, payload);
      copied++;
    });
    for (const [err] of (await write.exec()) ?? []) if (err) throw err;
  } while (cursor !== '0');
  return copied;
}

/**
 * Brings a backup back into an empty DATA_DIR (and an empty key space when REDIS_URL is set):
 * every meeting, site, link, report and attendance record, the uploaded documents and, when
 * the archive has them, the recordings. The service is started afterwards and migrates the
 * data if it came from an older release.
 */
export async function restoreBackup(options: {
  config: Config;
  file: string;
  logger: Logger;
}): Promise<BackupManifest & { restoredKeys: number }> {
  const { config, logger } = options;
  const dataDir = resolve(config.dataDir);
  const prefix = `${config.redis.keyPrefix}:`;
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0)
    throw new RestoreRefusedError(
      `DATA_DIR ${dataDir} is not empty: restore into an empty folder (move the old one aside first)`,
    );
  const work = await mkdtemp(join(tmpdir(), 'diemcau-restore-'));
  let source: RedisServerProcess | undefined;
  let target: RedisServerProcess | undefined;
  const clients: Redis[] = [];
  try {
    try {
      await run('tar', ['-xzf', resolve(options.file), '-C', work], { timeout: 3_600_000 });
    } catch (err) {
      throw new RestoreRefusedError(
        `cannot read ${options.file}: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`,
      );
    }
    const manifest = await verify(work);
    if (manifest.keyPrefix !== config.redis.keyPrefix)
      throw new RestoreRefusedError(
        `the backup was made with REDIS_KEY_PREFIX=${manifest.keyPrefix}: set the same to restore it`,
      );
    // The snapshot is served read-only by a throwaway redis-server in the work folder.
    source = await RedisServerProcess.start({
      bin: config.redis.serverBin,
      dir: join(work, 'redis'),
      logger,
      persistence: 'rdb-readonly',
    });
    await mkdir(dataDir, { recursive: true });
    let targetUrl = config.redis.url;
    if (!targetUrl) {
      target = await RedisServerProcess.start({
        bin: config.redis.serverBin,
        dir: join(dataDir, 'redis'),
        logger,
      });
      targetUrl = target.url;
    }
    const from = new Redis(source.url, { maxRetriesPerRequest: 1 });
    const to = new Redis(targetUrl, { maxRetriesPerRequest: 1 });
    clients.push(from, to);
    const [, existing] = await to.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (existing.length > 0)
      throw new RestoreRefusedError(
        `Redis already holds data under "${prefix}": restore into an empty Redis or another REDIS_KEY_PREFIX`,
      );
    const restoredKeys = await copyKeys(from, to, prefix);
    for (const folder of ['uploads', 'recordings']) {
      if (existsSync(join(work, folder)))
        await cp(join(work, folder), join(dataDir, folder), { recursive: true });
    }
    return { ...manifest, restoredKeys };
  } finally {
    for (const c of clients) c.disconnect();
    await source?.close();
    await target?.close();
    await rm(work, { recursive: true, force: true });
  }
}
