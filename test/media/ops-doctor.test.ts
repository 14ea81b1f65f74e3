import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import t from 'tap';
import { resolveBinary } from '../../server/ops/tools.js';
import { tempDir, waitFor } from '../helpers/browser.js';
import { createSiteNamespace, netnsUnavailable } from '../helpers/netns.js';
import { freePort } from '../helpers/ports.js';
import { STACK_ADMIN, startServiceStack } from '../helpers/serviceStack.js';

/*
 * `npm run doctor` from a site's machine (another network namespace, another address): the
 * service, its media worker and a coturn in the root namespace. First everything answers;
 * then the namespace's firewall drops UDP to the worker's port, and the doctor says so, names
 * the port and what to open, and exits 1.
 */

const unavailable =
  netnsUnavailable() ??
  (resolveBinary('turnserver', '/usr/bin:/usr/sbin') ? undefined : 'no coturn');
const TURN_SECRET = 'bi-mat-turn-rat-dai-2026';

function doctor(ns: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'scripts/doctor.ts'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => done({ code, output }));
  });
}

t.test('the doctor finds a blocked UDP media port', { skip: unavailable }, async (t) => {
  t.setTimeout(90_000);
  const ns = createSiteNamespace(t, { prefix: 'ops', subnet: 208 });
  const port = await freePort('0.0.0.0');
  const stack = await startServiceStack(t, {
    HOST: '0.0.0.0',
    PORT: String(port),
    PUBLIC_URL: `http://${ns.hostIp}:${port}`,
    RTC_LISTEN_IP: '0.0.0.0',
    ANNOUNCED_ADDRESS: ns.hostIp,
  });
  const rtcPort = stack.service.pool.workers[0]!.port;

  // coturn on the root end of the link, with the secret the service would hand out.
  const turnPort = await freePort(ns.hostIp);
  const turnDir = tempDir(t, 'diemcau-turn-');
  const turn: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip',
      ns.hostIp,
      '--listening-port',
      String(turnPort),
      '--use-auth-secret',
      `--static-auth-secret=${TURN_SECRET}`,
      '--realm=diemcau',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--min-port=49160',
      '--max-port=49200',
      `--pidfile=${turnDir}/turn.pid`,
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    turn.kill('SIGKILL');
  });

  const env = {
    PUBLIC_URL: `http://${ns.hostIp}:${port}`,
    TURN_URLS: `turn:${ns.hostIp}:${turnPort}?transport=udp,turn:${ns.hostIp}:${turnPort}?transport=tcp`,
    TURN_SECRET,
    DATA_DIR: tempDir(t, 'diemcau-doctor-'),
    DIEMCAU_ADMIN_USER: STACK_ADMIN.username,
    DIEMCAU_ADMIN_PASSWORD: STACK_ADMIN.password,
  };
  const healthy = (await waitFor(
    async () => {
      const r = await doctor(ns.name, env);
      return /OK {3}turn .*udp/.test(r.output) ? r : undefined;
    },
    20_000,
    'coturn answering',
    500,
  ))!;
  t.comment(healthy.output);
  t.match(
    healthy.output,
    new RegExp(`OK {3}http: http://${ns.hostIp.replaceAll('.', '\\.')}:${port}/health answers`),
  );
  t.match(healthy.output, new RegExp(`OK {3}media UDP ${rtcPort}: worker 0 answers ICE checks`));
  t.match(healthy.output, new RegExp(`OK {3}media TCP ${rtcPort}`));
  t.match(
    healthy.output,
    /OK {3}turn turn:.*udp: answers and relays with TURN_SECRET's credentials/,
  );
  t.match(healthy.output, /OK {3}turn turn:.*tcp: answers and relays/);
  t.match(healthy.output, /(OK {3}|WARN |FAIL )clock: /);
  t.match(healthy.output, /(OK {3}|WARN |FAIL )disk: [\d.]+ GB free/);
  t.match(
    healthy.output,
    /FAIL https: PUBLIC_URL is http, not https/,
    'plain http to another computer is a fault',
  );

  // The site's firewall drops UDP to the media port.
  execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], {
    input: `table inet opsblock {\n chain out {\n  type filter hook output priority 0;\n  udp dport ${rtcPort} drop\n }\n}\n`,
  });
  const blocked = await doctor(ns.name, env);
  t.comment(blocked.output);
  t.equal(blocked.code, 1, 'exit code 1');
  t.match(
    blocked.output,
    new RegExp(
      `FAIL media UDP ${rtcPort}: no answer from ${ns.hostIp.replaceAll('.', '\\.')}:${rtcPort}/udp`,
    ),
  );
  t.match(blocked.output, new RegExp(`→ open UDP ${rtcPort} in every firewall`));
  t.match(blocked.output, new RegExp(`OK {3}media TCP ${rtcPort}`), 'TCP still open');
  t.match(blocked.output, /OK {3}turn turn:.*udp/, 'TURN still answers');
});
