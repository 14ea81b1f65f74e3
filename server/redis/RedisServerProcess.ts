import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface RedisServerProcessOptions {
  /** redis-server binary name or path. */
  bin: string;
  /** Folder for the append-only file; created if missing. */
  dir: string;
  logger: Logger;
  /**
   * 'aof' (default): the append-only file in `dir`, the service's own data. 'rdb-readonly':
   * load `dir`/dump.rdb and never write to disk (restoring a backup reads one this way).
   */
  persistence?: 'aof' | 'rdb-readonly';
}

/**
 * Where a running private redis-server can be reached: `<dir>/redis.url`, readable by the
 * service's user only, so `npm run backup` can snapshot it while the service runs.
 */
export const redisUrlFile = (dir: string) => join(resolve(dir), 'redis.url');

export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError';
}

function findBinary(bin: string): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? resolve(bin) : undefined;
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/bin',
    '/usr/sbin',
    '/usr/local/bin',
  ];
  for (const dir of dirs) {
    const candidate = join(dir, bin);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port')),
      );
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private redis-server for a new user with nothing else installed: loopback only, a random
 * password, append-only persistence in the data folder. Stopped (and its AOF flushed) on close.
 */
export class RedisServerProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private closing?: Promise<void>;

  private urlFile?: string;

  private constructor(
    readonly url: string,
    private readonly logger: Logger,
  ) {}

  static async start(options: RedisServerProcessOptions): Promise<RedisServerProcess> {
    const bin = findBinary(options.bin);
    if (!bin) {
      throw new RedisServerMissingError(
        `redis-server not found ("${options.bin}"). Install it with "sudo apt-get install redis-server" ` +
          '(scripts/setup.sh does this), or set REDIS_URL to an existing Redis.',
      );
    }
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true });
    const pidFile = join(dir, 'redis.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0 && processAlive(pid)) {
        throw new Error(
          `Another redis-server (pid ${pid}) is using ${dir}: is diemcau already running with this DATA_DIR?`,
        );
      }
    }
    const logger = options.logger.child({ component: 'redis-server' });
    // A port picked then freed can be taken by someone else before redis binds it: retry.
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const password = randomBytes(24).toString('hex');
      const proc = new RedisServerProcess(`redis://:${password}@127.0.0.1:${port}`, logger);
      try {
        await proc.spawn(bin, dir, port, password, pidFile, options.persistence ?? 'aof');
        if ((options.persistence ?? 'aof') === 'aof') {
          proc.urlFile = redisUrlFile(dir);
          writeFileSync(proc.urlFile, `${proc.url}\n`, { mode: 0o600 });
        }
        logger.info({ port, dir }, 'private redis-server started');
        return proc;
      } catch (err) {
        await proc.close();
        if (attempt >= 3) throw err;
        logger.warn({ err, port }, 'redis-server did not start, retrying on another port');
      }
    }
  }

  private async spawn(
    bin: string,
    dir: string,
    port: number,
    password: string,
    pidFile: string,
    persistence: 'aof' | 'rdb-readonly',
  ) {
    const disk =
      persistence === 'aof'
        ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '3600 1 300 100']
        : ['--appendonly', 'no', '--save', ''];
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--pidfile',
      pidFile,
      '--daemonize',
      'no',
      ...disk,
      '--protected-mode',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--loglevel',
      'warning',
      '--logfile',
      '',
      '--requirepass',
      password,
    ];
    // setpriv (util-linux) makes the kernel stop redis if this process dies without closing it.
    const setpriv = findBinary('setpriv');
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', bin, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((ok) => {
      child.once('exit', (code, signal) => {
        if (!this.closing)
          this.logger.error({ code, signal, output }, 'redis-server exited unexpectedly');
        ok();
      });
      child.once('error', (err) => {
        this.logger.error({ err }, 'redis-server could not be spawned');
        ok();
      });
    });
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      const deadline = Date.now() + 10_000;
      while (true) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`redis-server exited during start-up: ${output.trim()}`);
        }
        try {
          if (client.status !== 'ready') await client.connect();
          // A loading AOF answers LOADING until ready.
          if ((await client.ping()) === 'PONG') return;
        } catch {
          client.disconnect();
        }
        if (Date.now() > deadline)
          throw new Error(`redis-server did not answer in 10 s: ${output.trim()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      client.disconnect();
    }
  }

  /** SIGTERM makes redis fsync its append-only file before exiting. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.urlFile) rmSync(this.urlFile, { force: true });
      const child = this.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
      this.logger.info('private redis-server stopped');
    })();
    return this.closing;
  }
}
