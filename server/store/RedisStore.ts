import type { ChainableCommander, Redis } from 'ioredis';
import type { z } from 'zod';
import { AppError, conflict, unavailable } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import { Keys } from './keys.js';

export interface RedisStoreOptions {
  redis: Redis;
  /** Full key prefix, e.g. "diemcau:" (config.redis.keyPrefix + ":"); tests add a unique part. */
  prefix: string;
  logger: Logger;
}

/** What a transaction plan returns: the writes to queue in MULTI, and the caller's result. */
export interface TxPlan<R> {
  write: (multi: ChainableCommander) => void;
  result: R;
}

const MAX_ATTEMPTS = 8;

/** Turns a failed Redis call into a 503 the client can retry, keeping our own errors. */
function wrapRedisError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (
    err instanceof Error &&
    /Connection|ECONNREFUSED|ETIMEDOUT|max retries|closed/i.test(err.message)
  )
    return unavailable({
      vi: 'Cơ sở dữ liệu tạm thời không truy cập được',
      en: 'The database is unavailable',
    });
  return err;
}

/**
 * Redis persistence: JSON records with a version, optimistic transactions (WATCH/MULTI) for
 * multi-key updates. WATCH is per connection, so transactions run one at a time on a
 * dedicated connection; other processes are still guarded by WATCH itself.
 */
export class RedisStore {
  readonly keys: Keys;
  private txQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly redis: Redis,
    private readonly writer: Redis,
    readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.keys = new Keys(prefix);
  }

  static async create(options: RedisStoreOptions): Promise<RedisStore> {
    const writer = options.redis.duplicate();
    writer.on('error', () => {
      // The main client logs connection errors; this one follows the same server.
    });
    if (writer.status !== 'ready') {
      await new Promise<void>((ok, fail) => {
        writer.once('ready', ok);
        writer.once('end', () => fail(new Error('redis writer connection ended')));
        if (writer.status === 'wait') void writer.connect().catch(fail);
      });
    }
    return new RedisStore(
      options.redis,
      writer,
      options.prefix,
      options.logger.child({ component: 'store' }),
    );
  }

  /** Reads and validates one JSON record; a corrupt record is a server fault, never a crash. */
  async getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.infer<S> | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(key);
    } catch (err) {
      throw wrapRedisError(err);
    }
    return raw === null ? undefined : this.decode(key, raw, schema);
  }

  async mgetJson<S extends z.ZodType>(
    keys: readonly string[],
    schema: S,
  ): Promise<(z.infer<S> | undefined)[]> {
    if (keys.length === 0) return [];
    let raws: (string | null)[];
    try {
      raws = await this.redis.mget(...keys);
    } catch (err) {
      throw wrapRedisError(err);
    }
    return raws.map((raw, i) => (raw === null ? undefined : this.decode(keys[i]!, raw, schema)));
  }

  decode<S extends z.ZodType>(key: string, raw: string, schema: S): z.infer<S> {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.logger.error({ key }, 'stored record is not JSON');
      throw new AppError('internal', {
        vi: 'Dữ liệu lưu trữ bị hỏng',
        en: 'A stored record is corrupt',
      });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      this.logger.error(
        { key, issues: parsed.error.issues },
        'stored record does not match schema',
      );
      throw new AppError('internal', {
        vi: 'Dữ liệu lưu trữ bị hỏng',
        en: 'A stored record is corrupt',
      });
    }
    return parsed.data;
  }

  /** Runs a read-only Redis call, mapping connection failures to 503. */
  async read<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(this.redis);
    } catch (err) {
      throw wrapRedisError(err);
    }
  }

  /**
   * Optimistic transaction: WATCH the keys, let `plan` read and validate (it may throw an
   * AppError to abort), then queue its writes in MULTI. If a watched key changed meanwhile,
   * EXEC returns null and the whole plan runs again on fresh data.
   */
  transact<R>(watch: readonly string[], plan: () => Promise<TxPlan<R>>): Promise<R> {
    const run = this.txQueue.then(() => this.runTransaction(watch, plan));
    this.txQueue = run.catch(() => {});
    return run;
  }

  private async runTransaction<R>(
    watch: readonly string[],
    plan: () => Promise<TxPlan<R>>,
  ): Promise<R> {
    if (this.closed) throw unavailable({ vi: 'Máy chủ đang dừng', en: 'Server is shutting down' });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        if (watch.length > 0) await this.writer.watch(...watch);
        let planned: TxPlan<R>;
        try {
          planned = await plan();
        } catch (err) {
          await this.writer.unwatch();
          throw err;
        }
        const multi = this.writer.multi();
        planned.write(multi);
        const results = await multi.exec();
        if (results === null) {
          this.logger.debug({ attempt }, 'transaction raced with another writer, retrying');
          continue;
        }
        const failed = results.find(([err]) => err);
        if (failed) throw failed[0];
        return planned.result;
      } catch (err) {
        throw wrapRedisError(err);
      }
    }
    throw conflict({
      vi: 'Dữ liệu đang được nhiều người sửa cùng lúc, vui lòng thử lại',
      en: 'Too many concurrent changes, please retry',
    });
  }

  /** Closes the dedicated transaction connection (the shared client belongs to the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.txQueue;
    await this.writer.quit().catch(() => this.writer.disconnect());
  }
}
