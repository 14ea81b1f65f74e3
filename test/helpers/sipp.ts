import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';
import { artifactPath, tempDir } from './browser.js';
import { freePort } from './ports.js';
import { type ServiceStack, startServiceStack } from './serviceStack.js';

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

/**
 * The service with its SIP edge on loopback (a free SIP port, RTP ports of this process's own
 * range), the programme sent to rooms at the given size; the service's SIP and media log lines
 * are kept in test-artifacts/<name>.log after the run.
 */
export async function startSipStack(
  t: Test,
  name: string,
  room: { rtpBase: number; rtpCount: number; width: number; height: number; kbps: number },
  env: Record<string, string> = {},
): Promise<{ stack: ServiceStack; sipPort: number }> {
  const sipPort = await freePort();
  const rtpMin = room.rtpBase + (process.pid % 40) * room.rtpCount;
  const stack = await startServiceStack(t, {
    SIP_PORT: String(sipPort),
    SIP_LISTEN_IP: '127.0.0.1',
    SIP_ANNOUNCED_ADDRESS: '127.0.0.1',
    SIP_DOMAIN: '127.0.0.1',
    SIP_RTP_PORT_MIN: String(rtpMin),
    SIP_RTP_PORT_MAX: String(rtpMin + room.rtpCount - 1),
    SIP_VIDEO_WIDTH: String(room.width),
    SIP_VIDEO_HEIGHT: String(room.height),
    SIP_VIDEO_FPS: '15',
    SIP_VIDEO_KBPS: String(room.kbps),
    ...env,
  });
  t.teardown(() =>
    writeFileSync(
      artifactPath(`${name}.log`),
      stack.logs.filter((l) => /sip|feed|call/i.test(l)).join('\n'),
    ),
  );
  return { stack, sipPort };
}
