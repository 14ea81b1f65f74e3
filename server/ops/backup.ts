import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import { RedisServerProcess, redisUrlFile } from '../redis/RedisServerProcess.js';
import { Keys } from '../store/keys.js';
import { SCHEMA_VERSION } from '../store/schemaVersion.js';
import { appVersion } from './appVersion.js';

const run = promisify(execFile);

export const BACKUP_FORMAT = 'diemcau-backup';

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(1),
  createdAt: z.string(),
  app: z.string(),
  /** The stored data's schema version (server/store/schemaVersion.ts). */
  schemaVersion: z.int().positive(),
  redisVersion: z.string(),
  node: z.string(),
  keyPrefix: z.string(),
  recordings: z.boolean(),
  counts: z.object({ meetings: z.int(), sites: z.int(), keys: z.int() }),
  files: z.array(z.object({ path: z.string(), bytes: z.int(), sha256: z.string() })),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

/** The folders of DATA_DIR a backup carries (recordings only when asked: they are large). */
const UPLOADS = 'uploads';
const RECORDINGS = 'recordings';

/** The Redis a backup reads and a restore writes: REDIS_URL, or the private one of DATA_DIR. */
interface RedisHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * REDIS_URL, else the private redis-server the running service started (its URL file), else
 * one started here on DATA_DIR (the service is stopped).
 */
async function openDataRedis(config: Config, logger: Logger): Promise<RedisHandle> {
  if (config.redis.url) return { url: config.redis.url, close: async () => {} };
  const dir = join(resolve(config.dataDir), 'redis');
  const file = redisUrlFile(dir);
  if (existsSync(file)) {
    const url = readFileSync(file, 'utf8').trim();
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return { url, close: async () => {} };
    } catch {
      // A file left by a service that was killed: start our own below.
    } finally {
      probe.disconnect();
    }
  }
  const proc = await RedisServerProcess.start({ bin: config.redis.serverBin, dir, logger });
  return { url: proc.url, close: () => proc.close() };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  if (existsSync(root)) await walk(root);
  return out.sort();
}

const REMOVED = '(removed)';

/** The effective configuration with every secret taken out (passwords in URLs too). */
export function configWithoutSecrets(config: Config): unknown {
  const copy = structuredClone(config) as Config & Record<string, unknown>;
  const stripPassword = (url: string | undefined) => {
    if (!url) return url;
    try {
      const u = new URL(url);
      if (u.password) u.password = REMOVED;
      return u.toString();
    } catch {
      return REMOVED;
    }
  };
  if (copy.redis.url) copy.redis.url = stripPassword(copy.redis.url);
  if (copy.turn.secret) copy.turn.secret = REMOVED;
  if (copy.metrics.token) copy.metrics.token = REMOVED;
  if (copy.notify.webhookSecret) copy.notify.webhookSecret = REMOVED;
  if (copy.notify.smtpUrl) copy.notify.smtpUrl = stripPassword(copy.notify.smtpUrl);
  return copy;
}

/** Keys that describe running processes, not the department's data: never restored. */
export function isRuntimeKey(key: string, prefix: string): boolean {
  const rest = key.slice(prefix.length);
  return (
    rest === 'nodes' ||
    rest.startsWith('node:') ||
    rest.startsWith('rate-limit:') ||
    rest === 'schema:migrating' ||
    /^meeting:[^:]+:owner$/.test(rest)
  );
}

/** A consistent snapshot (one fork of the server) with redis-cli --rdb; no password on the command line. */
async function snapshotRedis(url: string, out: string): Promise<void> {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port || '6379'];
  if (u.username) args.push('--user', decodeURIComponent(u.username));
  if (u.protocol === 'rediss:') args.push('--tls');
  args.push('--rdb', out);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.password) env.REDISCLI_AUTH = decodeURIComponent(u.password);
  try {
    await run('redis-cli', args, { env, timeout: 600_000, maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new Error('redis-cli not found: apt-get install redis-tools');
    throw new Error(`redis-cli --rdb failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

async function redisFacts(url: string, prefix: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys = new Keys(prefix);
    const info = await redis.info('server');
    const marker = await redis.get(keys.schemaVersion);
    const meetings = await redis.zcard(keys.meetings);
    const hasData = meetings > 0 || (await redis.exists(keys.sites, keys.users)) > 0;
    let count = 0;
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      count += batch.length;
    } while (cursor !== '0');
    return {
      redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      schemaVersion: marker
        ? (JSON.parse(marker) as { version: number }).version
        : hasData
          ? 1
          : SCHEMA_VERSION,
      meetings,
      sites: await redis.zcard(keys.sites),
      keys: count,
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * Writes one archive (tar.gz) of the department's data while the service runs: a Redis
 * snapshot, the uploaded documents, optionally the recordings, the configuration without its
 * secrets, and a manifest with versions and a SHA-256 for every file. Written beside the
 * target and renamed, so a half-written archive never has the final name.
 */
export async function createBackup(options: {
  config: Config;
  file: string;
  recordings?: boolean;
  logger: Logger;
}): Promise<BackupManifest> {
  const { config, logger } = options;
  const file = resolve(options.file);
  const dataDir = resolve(config.dataDir);
  const prefix = `${config.redis.keyPrefix}:`;
  await mkdir(dirname(file), { recursive: true });
  const staging = await mkdtemp(join(dirname(file), `.${basename(file)}.partial-`));
  const redis = await openDataRedis(config, logger);
  try {
    await mkdir(join(staging, 'redis'));
    const facts = await redisFacts(redis.url, prefix);
    await snapshotRedis(redis.url, join(staging, 'redis', 'dump.rdb'));
    for (const folder of options.recordings ? [UPLOADS, RECORDINGS] : [UPLOADS]) {
      if (existsSync(join(dataDir, folder)))
        await cp(join(dataDir, folder), join(staging, folder), { recursive: true });
    }
    await writeFile(
      join(staging, 'config.json'),
      `${JSON.stringify(configWithoutSecrets(config), null, 2)}\n`,
    );
    const files = [];
    for (const path of await listFiles(staging)) {
      files.push({
        path: relative(staging, path),
        bytes: (await stat(path)).size,
        sha256: await sha256(path),
      });
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      app: appVersion(),
      schemaVersion: facts.schemaVersion,
      redisVersion: facts.redisVersion,
      node: process.version,
      keyPrefix: config.redis.keyPrefix,
      recordings: options.recordings ?? false,
      counts: { meetings: facts.meetings, sites: facts.sites, keys: facts.keys },
      files,
    };
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const tmp = `${file}.tmp`;
    await run('tar', ['-czf', tmp, '-C', staging, '.'], { timeout: 3_600_000 });
    await rename(tmp, file);
    return manifest;
  } finally {
    await redis.close();
    await rm(staging, { recursive: true, force: true });
  }
}

/** Deletes the oldest `diemcau-*.tar.gz` archives of a folder beyond the newest `keep`. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /^diemcau-\d{8}-\d{6}\.tar\.gz$/.test(n)).sort();
  const removed = names.slice(0, Math.max(0, names.length - keep));
  for (const n of removed) await rm(join(dir, n));
  return removed;
}

/** diemcau-YYYYMMDD-HHMMSS.tar.gz in Vietnam time: sorts by time, read by people. */
export function backupFileName(at = new Date()): string {
  const local = new Date(at.getTime() + 7 * 3_600_000).toISOString();
  return `diemcau-${local.slice(0, 10).replaceAll('-', '')}-${local.slice(11, 19).replaceAll(':', '')}.tar.gz`;
}
