import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * A client for request paths: fails fast when Redis is down, so HTTP answers 503
 * instead of hanging. BullMQ workers get their own connections (maxRetriesPerRequest: null).
 */
export async function connectRedis(
  url: string,
  logger: Logger,
  options: RedisOptions = {},
): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...options,
  });
  let lastError = '';
  client.on('error', (err) => {
    // ioredis repeats the same error on every retry; log each change once.
    if (err.message !== lastError) logger.warn({ err }, 'redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    if (lastError) logger.info('redis connection restored');
    lastError = '';
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const where = url.replace(/\/\/[^@]*@/, '//');
    throw new Error(
      `Cannot reach Redis at ${where}: ${(err as Error).message}. Check REDIS_URL, or leave it unset to use a private redis-server.`,
    );
  }
  return client;
}
