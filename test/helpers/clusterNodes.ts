import { type ChildProcess, spawn } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import type { Test } from 'tap';
import type { Actor } from '../../protocol/auth.js';
import type { DataServices } from '../../server/DataServices.js';

import { freePort } from './ports.js';

/**
 * Connects socket.io the way MeetingClient does across nodes: a node that does not own the
 * meeting refuses the handshake with the owner's URL, and the connection goes there.
 */
export async function connectToOwner(
  home: string,
  options: { auth: Record<string, string>; cookie?: string },
): Promise<{ socket: Socket; url: string; redirected: boolean }> {
  let url = home;
  for (let hop = 0; hop < 4; hop++) {
    const socket = io(url, {
      auth: options.auth,
      transports: ['websocket'],
      reconnection: false,
      ...(options.cookie ? { extraHeaders: { cookie: options.cookie, origin: url } } : {}),
    });
    const outcome = await new Promise<true | string>((ok) => {
      socket.once('connect', () => ok(true));
      socket.once(
        'connect_error',
        (err: Error & { data?: { code: string; details?: { ownerUrl?: string } } }) =>
          ok(err.data?.details?.ownerUrl ?? `refused: ${err.data?.code ?? err.message}`),
      );
    });
    if (outcome === true) return { socket, url, redirected: url !== home };
    socket.close();
    if (!outcome.startsWith('http')) throw new Error(outcome);
    url = outcome;
  }
  throw new Error('too many redirects');
}

/** Logs an IT account in on one node; the cookie is valid on every node (sessions live in Redis). */
export async function loginCookie(
  base: string,
  account: { username: string; password: string },
): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(account),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('diemcau_session='))!
    .split(';')[0]!;
}

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * One diemcau process from the real entry point (server/main.ts via tsx), on loopback with its
 * own HTTP and RTC ports, sharing `env.REDIS_URL` with the others. Killed on teardown.
 */
export async function startNodeProcess(
  t: Test,
  id: string,
  env: Record<string, string>,
  /** Run inside this network namespace, on this address (default: loopback here). */
  where: { netns: string; ip: string } | undefined = undefined,
): Promise<NodeProcess> {
  // A namespace of its own has every port free.
  const port = where ? 8080 : await freePort();
  const host = where?.ip ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  const node = [process.execPath, '--import', 'tsx', 'server/main.ts'];
  const [command, ...args] = where ? ['ip', 'netns', 'exec', where.netns, ...node] : node;
  const child = spawn(command!, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_PRETTY: 'false',
      LOG_LEVEL: 'warn',
      ...(process.env.MEDIASOUP_WORKER_BIN
        ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN }
        : {}),
      HOST: host,
      PORT: String(port),
      PUBLIC_URL: url,
      NODE_ID: id,
      NODE_URL: url,
      RTC_LISTEN_IP: host,
      ANNOUNCED_ADDRESS: host,
      MEDIASOUP_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`node ${id} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { id, url, child, output: () => output, exited };
}

let servicePortBase = 47000 + (process.pid % 100) * 20;

/**
 * One node as a Service in this process (its own HTTP port 0, one media worker on its own RTC
 * port), sharing `env.REDIS_URL` with the others; closed on teardown.
 */
export async function startServiceNode(t: Test, id: string, env: Record<string, string>) {
  const { loadConfig } = await import('../../config/index.js');
  const { Service } = await import('../../server/Service.js');
  const { testLogger } = await import('./logger.js');
  const { tempDir } = await import('./browser.js');
  const dataDir = tempDir(t, `diemcau-node-${id}-`);
  for (let attempt = 0; ; attempt++) {
    const config = loadConfig({
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        RTC_PORT_BASE: String(servicePortBase),
        RTC_LISTEN_IP: '127.0.0.1',
        ANNOUNCED_ADDRESS: '127.0.0.1',
        MEDIASOUP_WORKERS: '1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        NODE_ID: id,
        ...env,
      },
    });
    servicePortBase += 5;
    try {
      const svc = await Service.start({ config, logger: testLogger });
      t.teardown(() => svc.close('test done'));
      // Port 0: the registry learns the node's URL at the first heartbeat after listening.
      for (let i = 0; i < 100; i++) {
        if ((await svc.cluster.registry.find(id))?.url === svc.url) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return svc;
    } catch (err) {
      // The RTC port was taken by another test run: try the next ones.
      if (attempt > 4) throw err;
    }
  }
}

/** Three district offices of Hòa Bình: the sites of the multi-node tests. */
export const CLUSTER_SITES = ['Phòng GD&ĐT Đà Bắc', 'Phòng GD&ĐT Mai Châu', 'Phòng GD&ĐT Lạc Sơn'];

/**
 * A meeting scheduled for tomorrow with the main hall and CLUSTER_SITES, its links issued;
 * `token(role, siteId?)` finds a link's token and `locate(node)` asks a node where it runs.
 */
export async function scheduleClusterMeeting(
  data: DataServices,
  title: string,
  /** Appended to the sites' names, for several meetings in one test (names are unique). */
  tag = '',
) {
  const { meetingInputSchema } = await import('../../protocol/meetings.js');
  const { siteInputSchema } = await import('../../protocol/sites.js');
  const system: Actor = { kind: 'system', name: 'test' };
  const main = await data.sites.create(
    siteInputSchema.parse({ name: `Hội trường Sở GD&ĐT${tag}`, kind: 'main_hall' }),
    system,
  );
  const sites = [];
  for (const name of CLUSTER_SITES)
    sites.push(
      await data.sites.create(
        siteInputSchema.parse({ name: `${name}${tag}`, kind: 'district_office' }),
        system,
      ),
    );
  const iso = (ms: number) => new Date(ms).toISOString();
  const now = Date.now();
  const created = await data.meetings.create(
    meetingInputSchema.parse({
      title,
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(now + 86_400_000),
      closesAt: iso(now + 86_400_000 + 3600_000),
      checkAt: iso(now + 43_200_000),
      mainSite: { siteId: main.id },
      sites: sites.map((s) => ({ siteId: s.id, expectedCount: 10 })),
      agenda: [
        { startsAt: iso(now + 86_400_000), title: 'Khai mạc / Opening' },
        { startsAt: iso(now + 86_400_000 + 900_000), title: 'Báo cáo của các phòng / Reports' },
      ],
    }),
    system,
  );
  const meeting = await data.meetings.transition(created.id, 'schedule', system);
  const links = await data.access.issueMissingLinks(meeting.id, system);
  const token = (role: string, siteId?: string) =>
    links.find((l) => l.link.role === role && l.link.siteId === siteId)!.token;
  const locate = async (via: NodeProcess) => {
    const res = await fetch(`${via.url}/api/meetings/${meeting.id}/live`, {
      headers: { authorization: `Bearer ${token('chair')}` },
    });
    return (await res.json()) as { url: string; nodeId: string };
  };
  return { main, sites, meeting, token, locate };
}
