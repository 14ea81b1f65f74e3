import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir, waitFor } from '../helpers/browser.js';
import { freePort, freeRtcPortBase } from '../helpers/ports.js';

// The real entry point, as `npm start` runs it (from sources via tsx).
function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_PRETTY: 'false',
      ...(process.env.MEDIASOUP_WORKER_BIN
        ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN }
        : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => output, exited };
}

const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

t.test('bad configuration stops start-up with a message naming the setting', async (t) => {
  const p = run({ PORT: 'abc', MEDIASOUP_WORKERS: '0' });
  t.equal(await p.exited, 78, 'exit code 78 (configuration error)');
  t.match(p.output(), /PORT \(http\.port\): expected a port number from 1 to 65535, got "abc"/);
  t.match(p.output(), /MEDIASOUP_WORKERS \(media\.numWorkers\)/);
  t.notMatch(p.output(), stackLine, 'no stack trace');
});

t.test('an unreachable Redis gives a clear message', async (t) => {
  const port = await freePort();
  const p = run({ REDIS_URL: `redis://127.0.0.1:${port}`, DATA_DIR: tempDir(t, 'diemcau-main-') });
  t.equal(await p.exited, 1);
  t.match(p.output(), new RegExp(`Cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
  t.match(p.output(), /Check REDIS_URL/);
  t.notMatch(p.output(), stackLine, 'no stack trace');
});

t.test('starts with its own Redis, reports ready, and stops cleanly on SIGTERM', async (t) => {
  const dataDir = tempDir(t, 'diemcau-main-');
  const port = await freePort();
  const rtcPortBase = await freeRtcPortBase(2);
  const p = run({
    PORT: String(port),
    DATA_DIR: dataDir,
    RTC_PORT_BASE: String(rtcPortBase),
    MEDIASOUP_WORKERS: '2',
  });
  t.teardown(() => {
    p.child.kill('SIGKILL');
  });
  const ready = (await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      return res.ok
        ? ((await res.json()) as {
            mediasoup: { workers: number; pids: number[]; ports: number[] };
          })
        : undefined;
    },
    60_000, // a process on a busy machine (files run side by side) starts slowly
    '/ready',
    200,
  ).catch((err) => {
    t.comment(p.output());
    throw err;
  }))!;
  t.equal(ready.mediasoup.workers, 2, '/ready reports the workers');
  t.same(ready.mediasoup.ports, [rtcPortBase, rtcPortBase + 1], 'one fixed port per worker');
  const redisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
  t.ok(
    existsSync(join(dataDir, 'redis', 'appendonlydir')),
    'append-only persistence in the data folder',
  );

  const stoppedAt = Date.now();
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'exit code 0');
  const ms = Date.now() - stoppedAt;
  t.ok(ms < 5000, `stopped in ${ms} ms`);
  for (const pid of [...ready.mediasoup.pids, redisPid]) {
    t.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
  }
  t.match(p.output(), /stopped \/ đã dừng/);
});
