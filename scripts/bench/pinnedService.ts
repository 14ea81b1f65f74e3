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

/** Polls `url`/ready until the service answers ready (30 s at most). */
async function waitReady(url: string, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    if (i > 120) throw new Error(`${what} did not become ready`);
    await sleep(250);
  }
}

/** A benchmark's private Redis and scratch folder, and the environment every node shares. */
export interface BenchStore {
  dir: string;
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startBenchStore(name: string): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), `diemcau-bench-${name}-`));
  const redis = await RedisServerProcess.start({
    bin: 'redis-server',
    dir: join(dir, 'redis'),
    logger: pino({ level: 'warn' }),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    RTC_LISTEN_IP: '127.0.0.1',
    ANNOUNCED_ADDRESS: '127.0.0.1',
    MEDIASOUP_WORKERS: '1',
    MAX_CONSUMERS_PER_ROUTER: '5000',
    // The emulator's sites each carry their own X-Forwarded-For (--distinct-addresses).
    TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
  };
  return {
    dir,
    redisUrl: redis.url,
    env,
    close: async () => {
      await redis.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
  const store = await startBenchStore(options.name);
  const { dir } = store;
  const url = `http://127.0.0.1:${options.port}`;
  const env: NodeJS.ProcessEnv = {
    ...store.env,
    PORT: String(options.port),
    RTC_PORT_BASE: String(options.rtcPortBase),
    ...options.env,
  };
  let server: ChildProcess | undefined;
  const close = async () => {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((ok) => server!.once('exit', ok));
    await store.close();
  };
  try {
    await createBenchAdmin(env);
    // The service and its worker (a child, so it inherits the affinity) on CPU 0.
    server = spawn('taskset', ['-c', '0', 'node', '--import=tsx', 'server/main.ts'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitReady(url, 'the service');
    return { url, dir, env, process: server, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One node of a cluster on this machine (cascade benchmarks): `server/main.ts` pinned to `cpu`. */
export interface ServiceNode {
  id: string;
  url: string;
  process: ChildProcess;
}

export async function startServiceNode(
  id: string,
  cpu: number,
  port: number,
  rtcPortBase: number,
  env: NodeJS.ProcessEnv,
): Promise<ServiceNode> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('taskset', ['-c', String(cpu), 'node', '--import=tsx', 'server/main.ts'], {
    env: {
      ...env,
      NODE_ID: id,
      NODE_URL: url,
      PUBLIC_URL: url,
      PORT: String(port),
      RTC_PORT_BASE: String(rtcPortBase),
      DATA_DIR: join(String(env.DATA_DIR), id),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitReady(url, `node ${id}`);
  return { id, url, process: child };
}

export async function stopServiceNode(node: ServiceNode): Promise<void> {
  node.process.kill('SIGTERM');
  if (node.process.exitCode === null) await new Promise((ok) => node.process.once('exit', ok));
}
