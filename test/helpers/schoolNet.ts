import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir, waitFor } from './browser.js';
import { createSiteNamespace, type SiteNamespace } from './netns.js';

/*
 * Schools' networks for tests: the server's public addresses on a dummy interface in the root
 * namespace, each school in its own namespace with a default route to the root (so it reaches
 * every public address), its firewall in nftables, its link shaped with tbf, and the third-party
 * servers a department runs (coturn with TURN over TLS, tinyproxy as a school's web proxy).
 * Every name carries "sch"; everything is removed on teardown.
 */

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { stdio: input ? ['pipe', 'pipe', 'pipe'] : 'pipe', input });

export interface PublicAddresses {
  /** Pages, signaling and the media worker (UDP and TCP). */
  server: string;
  /** coturn's own address (a second address: both can use 443). */
  turn: string;
}

/**
 * Two public addresses (10.229.N.1 and .2) of the root namespace, on one end of a veth pair of
 * their own (this kernel has no dummy interfaces); removing the link removes them.
 */
export function publicAddresses(t: Test): PublicAddresses {
  const n = 10 + (process.pid % 200);
  const dev = `schpub${process.pid % 100000}`;
  const del = () => {
    try {
      run('ip', ['link', 'del', dev]);
    } catch {}
  };
  del();
  t.teardown(del);
  run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  run('ip', ['link', 'set', `${dev}p`, 'up']);
  const server = `10.229.${n}.1`;
  const turn = `10.229.${n}.2`;
  run('ip', ['addr', 'add', `${server}/32`, 'dev', dev]);
  run('ip', ['addr', 'add', `${turn}/32`, 'dev', dev]);
  run('ip', ['link', 'set', dev, 'up']);
  return { server, turn };
}

export interface School extends SiteNamespace {
  /** The root namespace's end of the school's link (its gateway). */
  hostDev: string;
  siteDev: string;
}

/** A school in its own namespace (10.(220+index).N.0/24), routed to every public address. */
export function createSchool(t: Test, index: number): School {
  const ns = createSiteNamespace(t, { prefix: `sch${index}`, subnet: 220 + index }) as School;
  run('ip', ['netns', 'exec', ns.name, 'ip', 'route', 'add', 'default', 'via', ns.hostIp]);
  return ns;
}

/** Loads an nftables ruleset inside the school's namespace (its firewall, its NAT). */
export function nft(school: School, ruleset: string): void {
  run('ip', ['netns', 'exec', school.name, 'nft', '-f', '-'], ruleset);
}

/** The school's firewall lets no UDP out (ICE over TCP, or TURN over TCP/TLS, remain). */
export const blockUdp = `table inet schfw {
  chain out { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
}`;

/** Only TCP to these ports leaves the school (loopback aside). */
export const onlyTcp = (ports: number[], to?: string) => `table inet schfw {
  chain out {
    type filter hook output priority 0; policy drop;
    oifname "lo" accept;
    ${to ? `ip daddr ${to} ` : ''}tcp dport { ${ports.join(', ')} } accept;
  }
}`;

/** What reaches the school (its downlink), limited by a token bucket on the gateway's end. */
export function limitDownlink(school: School, kbit: number): void {
  run('tc', [
    'qdisc',
    'add',
    'dev',
    school.hostDev,
    'root',
    'tbf',
    'rate',
    `${kbit}kbit`,
    'burst',
    '32kbit',
    'latency',
    '200ms',
  ]);
}

/** Something accepts TCP connections there. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A process started for the test and killed with it; its output kept for failures. */
function supervise(t: Test, name: string, child: ChildProcess): { output: () => string } {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    if (process.env.TEST_SCHOOL_LOG) process.stderr.write(`--- ${name}\n${out}\n`);
  });
  return { output: () => out };
}

export interface TestCertificate {
  cert: string;
  key: string;
  /** base64 SHA-256 of the public key (Chromium's --ignore-certificate-errors-spki-list). */
  spki: string;
}

/** A self-signed certificate for an IP address (what a department's real one stands in for). */
export function testCertificate(t: Test, ip: string): TestCertificate {
  const dir = tempDir(t, 'diemcau-sch-cert-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${ip}`,
    '-addext',
    `subjectAltName=IP:${ip}`,
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const der = run('openssl', ['x509', '-in', cert, '-pubkey', '-noout']).toString();
  const spkiDer = run('openssl', ['pkey', '-pubin', '-outform', 'der'], der);
  const spki = createHash('sha256').update(spkiDer).digest('base64');
  return { cert, key, spki };
}

export interface Coturn {
  url: string;
  output(): string;
}

/**
 * Debian's coturn as a department runs it for strict school firewalls: TURN over TLS only, on
 * `port` of `ip` (443), the service's use-auth-secret credentials, relaying only to the media
 * server (the docker-compose deny list, with the test's private media address allowed).
 */
export async function startCoturn(
  t: Test,
  opts: { ip: string; port: number; secret: string; mediaIp: string; cert: TestCertificate },
): Promise<Coturn> {
  const dir = tempDir(t, 'diemcau-sch-turn-');
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(
    conf,
    [
      `listening-ip=${opts.ip}`,
      `relay-ip=${opts.ip}`,
      // TCP only towards the schools, one port: coturn tells TLS from plain TURN on it.
      `listening-port=${opts.port}`,
      `tls-listening-port=${opts.port}`,
      'no-udp',
      'no-dtls',
      `cert=${opts.cert.cert}`,
      `pkey=${opts.cert.key}`,
      'use-auth-secret',
      `static-auth-secret=${opts.secret}`,
      'realm=diemcau',
      'fingerprint',
      'no-cli',
      'no-multicast-peers',
      `allowed-peer-ip=${opts.mediaIp}`,
      'denied-peer-ip=10.0.0.0-10.255.255.255',
      'denied-peer-ip=127.0.0.0-127.255.255.255',
      'denied-peer-ip=172.16.0.0-172.31.255.255',
      'denied-peer-ip=192.168.0.0-192.168.255.255',
      'min-port=49160',
      'max-port=49999',
      `pidfile=${join(dir, 'turn.pid')}`,
      // A file, not stdout: coturn's stdout to a pipe is block-buffered.
      `log-file=${join(dir, 'turn.log')}`,
      'simple-log',
      // Sessions are logged (user, ALLOCATE) only when verbose.
      'verbose',
    ].join('\n'),
  );
  const child = spawn('turnserver', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = supervise(t, 'coturn', child);
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`coturn exited: ${log.output()}`);
      return canConnect(opts.ip, opts.port);
    },
    10_000,
    'coturn listening',
  );
  const logFile = join(dir, 'turn.log');
  return {
    url: `turns:${opts.ip}:${opts.port}?transport=tcp`,
    output: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return log.output();
      }
    },
  };
}

/**
 * Debian's tinyproxy as a school's web proxy: plain HTTP forwarded, CONNECT only to 443 (its
 * shipped default), listening on the school's gateway.
 */
export async function startTinyproxy(
  t: Test,
  opts: { listen: string; port: number; allow: string },
): Promise<{ url: string; output(): string }> {
  const dir = tempDir(t, 'diemcau-sch-proxy-');
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(
    conf,
    [
      `Port ${opts.port}`,
      `Listen ${opts.listen}`,
      'Timeout 600',
      `Allow ${opts.allow}`,
      'ConnectPort 443',
      'MaxClients 100',
      'LogLevel Connect',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = supervise(t, 'tinyproxy', child);
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`tinyproxy exited: ${log.output()}`);
      return canConnect(opts.listen, opts.port);
    },
    10_000,
    'tinyproxy listening',
  );
  return { url: `http://${opts.listen}:${opts.port}`, output: log.output };
}

/** Lines of a log that mention a string (coturn's sessions, tinyproxy's CONNECTs). */
export function linesWith(text: string, needle: string): string[] {
  return text.split('\n').filter((l) => l.includes(needle));
}
