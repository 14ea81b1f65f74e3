/**
 * The service as the benchmarks run it: a private Redis, an admin account, and `server/main.ts`
 * with its mediasoup worker pinned to CPU 0 (the load generator takes CPU 1). One owner for the
 * processes and the scratch folder: close() stops them and removes it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { RedisServerProcess } from '../../server/redis/RedisServerProcess.js';

export const BENCH_ADMIN = { username: 'bench', password: 'mat-khau-do-hieu-nang-2026' };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<string> {
  return new Promise((ok, fail) => {
    const child = execFile(cmd, args, { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? fail(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : ok(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The benchmarks' IT account, created with the CLI in the store `env.REDIS_URL` names. */
export function createBenchAdmin(env: NodeJS.ProcessEnv): Promise<string> {
  return run(
    'node',
    [
      '--import=tsx',
      'scripts/create-admin.ts',
      '--username',
      BENCH_ADMIN.username,
      '--password-stdin',
    ],
    env,
    BENCH_ADMIN.password,
  );
}

/**
 * The site emulator (loadtest/cli.ts) pinned to CPU 1 against `url`: a new meeting with `sites`
 * sites joining over 10 s, `seconds` of steady state at layer 2, the result as JSON in `out`.
 */
export function spawnLoadtest(
  url: string,
  options: {
    sites: number;
    /** How many of the sites are light (LightSite); the rest decode. Default 0. */
    light?: number;
    seconds: number;
    out: string;
    env: NodeJS.ProcessEnv;
  },
): ChildProcess {
  const light = options.light ?? 0;
  const args = ['--url', url, '--create-meeting', '--light', String(light)];
  args.push('--decoding', String(options.sites - light));
  args.push('--ramp', '10', '--duration', String(options.seconds), '--layer', '2');
  args.push('--user', BENCH_ADMIN.username, '--json', options.out, '--distinct-addresses');
  return spawn('taskset', ['-c', '1', 'node', '--import=tsx', 'loadtest/cli.ts', ...args], {
    env: { ...options.env, DIEMCAU_ADMIN_PASSWORD: BENCH_ADMIN.password },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface PinnedService {
  url: string;
  /** The scratch folder (Redis, data; result files may go here too), removed by close(). */
  dir: string;
  /** The service's environment (Redis, ports, data folder), for the tools run beside it. */
  env: NodeJS.ProcessEnv;
  /** The service's process (Node; its worker is a child), for CPU readings. */
  process: ChildProcess;
  close(): Promise<void>;
}

/** Starts the service on 127.0.0.1:`port` (RTC ports from `rtcPortBase`) and waits until ready. */
export async function startPinnedService(options: {
  name: string;
  port: number;
  rtcPortBase: number;
  env?: Record<string, string>;
}): Promise<PinnedService> {
  const dir = mkdtempSync(join(tmpdir(), `diemcau-bench-${options.name}-`));
  const redis = await RedisServerProcess.start({
    bin: 'redis-server',
    dir: join(dir, 'redis'),
    logger: pino({ level: 'warn' }),
  });
  const url = `http://127.0.0.1:${options.port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    DATA_DIR: dir,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    RTC_LISTEN_IP: '127.0.0.1',
    ANNOUNCED_ADDRESS: '127.0.0.1',
    RTC_PORT_BASE: String(options.rtcPortBase),
    MEDIASOUP_WORKERS: '1',
    // The emulator's sites each carry their own X-Forwarded-For (--distinct-addresses).
    TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
    ...options.env,
  };
  let server: ChildProcess | undefined;
  const close = async () => {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((ok) => server!.once('exit', ok));
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createBenchAdmin(env);
    // The service and its worker (a child, so it inherits the affinity) on CPU 0.
    server = spawn('taskset', ['-c', '0', 'node', '--import=tsx', 'server/main.ts'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      const ready = await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 120) throw new Error('the service did not become ready');
      await sleep(250);
    }
    return { url, dir, env, process: server, close };
  } catch (err) {
    await close();
    throw err;
  }
}
