import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Test } from 'tap';
import type { Actor } from '../../protocol/auth.js';
import type { Site } from '../../protocol/sites.js';
import type { AuthFailureLimits } from '../../server/auth/AuthFailures.js';
import { DataServices } from '../../server/DataServices.js';
import { hoaBinhDistrictSites, hoaBinhMainSite } from '../../server/demo/hoaBinh.js';
import { buildHttpApp, type HttpApp } from '../../server/http/buildHttpApp.js';
import { connectRedis } from '../../server/redis/connectRedis.js';
import { type ApiLimits, apiRoutes } from '../../server/routes/api.js';
import { testLogger } from './logger.js';

export const PUBLIC_URL = 'https://diemcau.example.vn';
export const ADMIN = { username: 'admin', password: 'mat-khau-rat-dai-2011' };
export const system: Actor = { kind: 'system', name: 'test' };

export interface TestApi {
  app: HttpApp;
  services: DataServices;
  redis: Redis;
  prefix: string;
  dataDir: string;
  /** Cookie header of a logged-in admin. */
  adminCookie: string;
  /** Shuts the app and services down (also run on teardown; idempotent). */
  close(): Promise<void>;
}

export interface BuildTestApiOptions {
  limits?: Partial<ApiLimits>;
  now?: () => number;
  linkGraceMs?: number;
  /** Reuse a prefix and folder (restart tests). */
  prefix?: string;
  dataDir?: string;
  /** Skip creating and logging in the admin (the account already exists). */
  noAdmin?: boolean;
  /** Failed-authentication limits (server/auth/AuthFailures.ts). */
  authFailureLimits?: Partial<AuthFailureLimits>;
}

/**
 * The data part of the app on a bare Fastify instance (no media workers), against a real
 * Redis under a unique key prefix, torn down with the test.
 */
export async function buildTestApi(
  t: Test,
  redisUrl: string,
  options: BuildTestApiOptions = {},
): Promise<TestApi> {
  const prefix = options.prefix ?? `diemcau:test-${randomUUID()}:`;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'diemcau-data-'));
  const redis = await connectRedis(redisUrl, testLogger);
  const services = await DataServices.create({
    redis,
    prefix,
    logger: testLogger,
    publicUrl: PUBLIC_URL,
    dataDir,
    ...(options.now ? { now: options.now } : {}),
    ...(options.linkGraceMs !== undefined ? { linkGraceMs: options.linkGraceMs } : {}),
    ...(options.authFailureLimits ? { authFailureLimits: options.authFailureLimits } : {}),
  });
  const app = await buildHttpApp({
    logger: testLogger,
    publicUrl: PUBLIC_URL,
    isShuttingDown: () => false,
  });
  await app.register(apiRoutes, {
    services,
    secureCookies: true,
    publicUrl: PUBLIC_URL,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  await app.ready();
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await app.close();
      await services.close();
      await redis.quit().catch(() => redis.disconnect());
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    })();
    return closed;
  };
  t.teardown(close);
  let adminCookie = '';
  if (!options.noAdmin) {
    await services.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
    adminCookie = await login(app);
  }
  return { app, services, redis, prefix, dataDir, adminCookie, close };
}

/** Logs in and returns the Cookie header to send. */
export async function login(app: HttpApp, credentials = ADMIN): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: credentials });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'diemcau_session');
  if (!cookie) throw new Error('no session cookie');
  return `diemcau_session=${cookie.value}`;
}

/** Every key under the prefix except rate-limit counters (they expire on their own). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch.filter((k) => !k.startsWith(`${prefix}rate-limit:`)));
  } while (cursor !== '0');
  return keys.sort();
}

/** Creates the Hòa Bình sites of seed 002 through the API. */
export async function createHoaBinhSites(api: TestApi): Promise<{ main: Site; districts: Site[] }> {
  const post = async (payload: unknown) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { cookie: api.adminCookie },
      payload: payload as Record<string, unknown>,
    });
    if (res.statusCode !== 201) throw new Error(`site create: ${res.statusCode} ${res.body}`);
    return res.json() as Site;
  };
  const main = await post(hoaBinhMainSite);
  const districts: Site[] = [];
  for (const s of hoaBinhDistrictSites) districts.push(await post(s));
  return { main, districts };
}
