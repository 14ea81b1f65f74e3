import type { Config } from '../../config/index.js';
import { call, tcpOpen } from './doctorHttp.js';
import type { DoctorOptions, Finding } from './finding.js';
import {
  encodeStun,
  iceCheck,
  newTransactionId,
  StunType,
  stunRequest,
  turnAllocate,
  turnCredentials,
} from './stun.js';

/** The doctor's media checks: each worker's UDP/TCP port (through a probe the service opens) and TURN. */

async function login(
  config: Config,
  admin: { username: string; password: string },
  ca: string[],
  timeoutMs: number,
) {
  const base = config.http.publicUrl!;
  const origin = { origin: base, 'sec-fetch-site': 'same-origin' };
  const res = await call(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...origin },
    body: JSON.stringify(admin),
    ca,
    timeoutMs,
  });
  if (res.status !== 200) throw new Error(`login as ${admin.username} refused (${res.status})`);
  const setCookie = res.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).find((c) =>
    c.startsWith('diemcau_session='),
  );
  if (!cookie) throw new Error('login gave no session cookie');
  const probe = await call(`${base}/api/ops/media-probe`, {
    method: 'POST',
    headers: { cookie: cookie.split(';')[0]!, ...origin },
    ca,
    timeoutMs,
  });
  if (probe.status !== 200) throw new Error(`media probe refused (${probe.status}): ${probe.body}`);
  return JSON.parse(probe.body) as {
    announcedAddress: string;
    targets: { worker: number; port: number; usernameFragment: string; password: string }[];
  };
}

export async function checkMedia(
  options: DoctorOptions,
  ca: string[],
  timeoutMs: number,
): Promise<Finding[]> {
  const { config } = options;
  if (!options.admin) {
    return [
      {
        check: 'media ports',
        status: 'skip',
        detail: 'not checked: the doctor needs an IT login to open a test transport',
        fix: 'run with DIEMCAU_ADMIN_USER and DIEMCAU_ADMIN_PASSWORD set',
      },
    ];
  }
  let probe: Awaited<ReturnType<typeof login>>;
  try {
    probe = await login(config, options.admin, ca, timeoutMs);
  } catch (err) {
    return [
      {
        check: 'media ports',
        status: 'fail',
        detail: (err as Error).message,
        fix: 'check the account (npm run create-admin) and that the service runs',
      },
    ];
  }
  const host = probe.announcedAddress;
  const findings: Finding[] = [];
  for (const t of probe.targets) {
    const answer = await stunRequest(
      host,
      t.port,
      iceCheck(t.usernameFragment, t.password),
      'udp',
      timeoutMs,
    );
    findings.push(
      answer
        ? {
            check: `media UDP ${t.port}`,
            status: 'ok',
            detail: `worker ${t.worker} answers ICE checks at ${host}:${t.port}`,
          }
        : {
            check: `media UDP ${t.port}`,
            status: 'fail',
            detail: `no answer from ${host}:${t.port}/udp (worker ${t.worker}): sites fall back to TCP or TURN, with more delay`,
            fix: `open UDP ${t.port} in every firewall between the sites and the server (ufw allow ${t.port}/udp; the department's edge firewall too), and check ANNOUNCED_ADDRESS=${host} is the address sites reach`,
          },
    );
    const tcp = await tcpOpen(host, t.port, timeoutMs);
    findings.push(
      tcp
        ? {
            check: `media TCP ${t.port}`,
            status: 'ok',
            detail: `${host}:${t.port}/tcp accepts connections`,
          }
        : {
            check: `media TCP ${t.port}`,
            status: 'warn',
            detail: `${host}:${t.port}/tcp unreachable: sites behind UDP-blocking firewalls need it`,
            fix: `open TCP ${t.port} (ufw allow ${t.port}/tcp)`,
          },
    );
  }
  return findings;
}

/** turn:host:port?transport=udp → the parts; turns: (TLS) is not checked here. */
function parseTurnUrl(
  url: string,
): { host: string; port: number; transport: 'udp' | 'tcp' } | undefined {
  const m = /^turn:(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/.exec(url);
  if (!m) return undefined;
  return {
    host: m[1]!.replace(/^\[|\]$/g, ''),
    port: Number(m[2] ?? 3478),
    transport: (m[3] as 'udp' | 'tcp') ?? 'udp',
  };
}

export async function checkTurn(config: Config, timeoutMs: number): Promise<Finding[]> {
  if (config.turn.urls.length === 0)
    return [
      {
        check: 'turn',
        status: 'skip',
        detail: 'no TURN_URLS: sites behind strict firewalls cannot connect',
        fix: 'run coturn (docker-compose.yml has one) and set TURN_URLS and TURN_SECRET',
      },
    ];
  const findings: Finding[] = [];
  for (const url of config.turn.urls) {
    const target = parseTurnUrl(url);
    if (!target) {
      findings.push({
        check: `turn ${url}`,
        status: 'skip',
        detail: 'turns: (TLS) is not checked by the doctor',
      });
      continue;
    }
    const binding = await stunRequest(
      target.host,
      target.port,
      encodeStun(StunType.bindingRequest, newTransactionId(), []),
      target.transport,
      timeoutMs,
    );
    if (!binding) {
      findings.push({
        check: `turn ${url}`,
        status: 'fail',
        detail: `no answer from ${target.host}:${target.port}/${target.transport}`,
        fix: `start coturn and open ${target.transport.toUpperCase()} ${target.port} (and UDP 49160-49999 for its relays)`,
      });
      continue;
    }
    if (!config.turn.secret) {
      findings.push({ check: `turn ${url}`, status: 'ok', detail: 'answers STUN' });
      continue;
    }
    const allocation = await turnAllocate(
      target.host,
      target.port,
      target.transport,
      turnCredentials(config.turn.secret, 'doctor'),
    );
    findings.push(
      allocation.ok
        ? {
            check: `turn ${url}`,
            status: 'ok',
            detail: "answers and relays with TURN_SECRET's credentials",
          }
        : {
            check: `turn ${url}`,
            status: 'fail',
            detail: `allocation ${allocation.reason}`,
            fix: "TURN_SECRET must equal coturn's static-auth-secret (use-auth-secret mode)",
          },
    );
  }
  return findings;
}
