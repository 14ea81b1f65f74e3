import { type ChildProcess, spawn } from 'node:child_process';
import t from 'tap';
import type { ToolsReport } from '../../protocol/ops.js';
import { tempDir, waitFor } from '../helpers/browser.js';
import { freePort, freeRtcPortBase } from '../helpers/ports.js';

/*
 * The real entry point (server/main.ts), as systemd starts it:
 * - FFmpeg hidden from PATH: the service starts, the log names what is missing and what it
 *   disables, and IT's GET /api/ops/tools lists it (the IT board shows that list);
 * - PUBLIC_URL https without a certificate or a proxy: a clear start-up error.
 */

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
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

t.test('a tool hidden from PATH: named at start, listed for IT, the rest works', async (t) => {
  t.setTimeout(240_000);
  const port = await freePort();
  // An empty PATH: ffmpeg is looked up there; redis-server, python3 and Chromium are found
  // by their configured paths or the usual folders.
  const p = run({
    PATH: tempDir(t, 'diemcau-empty-path-'),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: tempDir(t, 'diemcau-startup-'),
    RTC_PORT_BASE: String(await freeRtcPortBase()),
    MEDIASOUP_WORKERS: '1',
    DEMO: '1',
  });
  t.teardown(() => void p.child.kill('SIGKILL'));
  // A wait that fails shows the service's own log: what it was doing when it stopped talking.
  const until = <T>(check: () => T | Promise<T>, what: string) =>
    Promise.race([
      waitFor(check, 90_000, what),
      p.exited.then((code): T => {
        throw new Error(`the service exited (code ${code}) before ${what}`);
      }),
    ]).catch((err) => {
      t.comment(p.output().slice(-6000));
      throw err;
    });
  await until(() => /optional tool missing/.test(p.output()), 'the warning');
  const line = p
    .output()
    .split('\n')
    .find((l) => l.includes('optional tool missing'))!;
  t.match(
    line,
    /thiếu chương trình: ffmpeg: ffmpeg not found on PATH — disables RTMP live out \(YouTube, Facebook, local TV\) \(install: apt-get install ffmpeg, or run scripts\/setup\.sh\)/,
  );
  t.notMatch(p.output(), /tool missing[^\n]*(chromium|gstreamer|fonts):/, 'only ffmpeg is missing');

  // The demo access is printed once the service listens, after the warning.
  const password = await until(
    () => /login: admin \/ (\S+)/.exec(p.output())?.[1],
    'the demo login',
  );
  t.ok(password, 'the demo admin login is printed');
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/ready`)).ok, 'ready');
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://localhost:${port}` },
    body: JSON.stringify({ username: 'admin', password }),
  });
  t.equal(login.status, 200);
  const cookie = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('diemcau_session='))!
    .split(';')[0]!;
  t.equal((await fetch(`${base}/api/ops/tools`)).status, 401, 'not for the public');
  const report = (await (
    await fetch(`${base}/api/ops/tools`, { headers: { cookie } })
  ).json()) as ToolsReport;
  t.equal(report.complete, false);
  const ffmpeg = report.tools.find((x) => x.id === 'ffmpeg')!;
  t.match(ffmpeg, { ok: false, problem: 'ffmpeg not found on PATH', packages: ['ffmpeg'] });
  t.match(ffmpeg.disables.vi, /Phát trực tiếp ra RTMP/);
  t.same(
    report.tools.filter((x) => !x.ok).map((x) => x.id),
    ['ffmpeg'],
    'Chromium, GStreamer and fonts are there',
  );
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0);
});

t.test('PUBLIC_URL https without a certificate stops start-up with what to set', async (t) => {
  const p = run({
    PATH: process.env.PATH ?? '',
    PUBLIC_URL: 'https://hop.sogd.example.vn',
    DATA_DIR: tempDir(t, 'diemcau-startup-'),
  });
  t.teardown(() => void p.child.kill('SIGKILL'));
  t.equal(await p.exited, 1);
  t.match(
    p.output(),
    /Cannot start: PUBLIC_URL is https \(https:\/\/hop\.sogd\.example\.vn\) but no certificate is given\. Set TLS_CERT and TLS_KEY/,
  );
  t.match(p.output(), /npm run cert -- <host or IP>/);
  t.match(p.output(), /TRUSTED_PROXIES/);
  const missingKey = run({
    PATH: process.env.PATH ?? '',
    TLS_CERT: '/etc/ssl/certs/none.pem',
    DATA_DIR: tempDir(t, 'diemcau-startup-'),
  });
  t.equal(await missingKey.exited, 78, 'TLS_CERT without TLS_KEY is a configuration error');
  t.match(missingKey.output(), /TLS_KEY \(http\.tlsKey\): TLS_CERT and TLS_KEY go together/);
});
