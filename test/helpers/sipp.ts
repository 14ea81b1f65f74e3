import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './browser.js';

export interface SippRun {
  code: number | null;
  /** Lines the scenario's <log> actions wrote. */
  logs: string[];
  /** SIPp's error trace (unexpected messages, failed checks). */
  errors: string;
}

const scenarios = resolve(import.meta.dirname, '..', 'fixtures', 'sip');

/**
 * Runs one SIPp scenario of test/fixtures/sip/ against the service (UDP, loopback) until its calls end:
 * `users` become [field0] of successive calls, `vars` the scenario's [$name] variables.
 */
export function runSipp(
  t: Test,
  o: {
    scenario: string;
    target: string;
    service: string;
    users: string[];
    vars?: Record<string, string | number>;
    calls?: number;
    concurrent?: number;
    rate?: number;
    timeoutS?: number;
    started?: (pid: number) => void;
  },
): Promise<SippRun> {
  const dir = tempDir(t, 'diemcau-sipp-');
  const inf = join(dir, 'users.csv');
  writeFileSync(inf, ['SEQUENTIAL', ...o.users.map((u) => `${u};`)].join('\n'));
  const calls = o.calls ?? o.users.length;
  const args = [
    o.target,
    '-sf',
    join(scenarios, `${o.scenario}.xml`),
    '-s',
    o.service,
    '-i',
    '127.0.0.1',
    '-p',
    '0',
    '-inf',
    inf,
    '-m',
    String(calls),
    '-l',
    String(o.concurrent ?? calls),
    '-r',
    String(o.rate ?? calls),
    '-rp',
    '1000',
    '-timeout',
    `${o.timeoutS ?? 40}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_logs',
    '-trace_err',
    '-max_recv_loops',
    '1000',
    ...Object.entries(o.vars ?? {}).flatMap(([k, v]) => ['-set', k, String(v)]),
  ];
  return new Promise((ok, fail) => {
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    if (child.pid) o.started?.(child.pid);
    const kill = () => child.kill('SIGKILL');
    t.teardown(kill);
    child.once('error', fail);
    child.once('exit', (code) => {
      const read = (suffix: string) =>
        readdirSync(dir)
          .filter((f) => f.endsWith(suffix))
          .map((f) => readFileSync(join(dir, f), 'utf8'))
          .join('\n');
      ok({
        code,
        logs: read('_logs.log').split('\n').filter(Boolean),
        errors: `${stderr}${read('_errors.log')}`.trim(),
      });
    });
  });
}

/** A TCP port free now (baresip's control port, the SIP port: UDP and TCP are both tried). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}
