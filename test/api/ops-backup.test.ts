import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { reportRequestInputSchema } from '../../protocol/reports.js';
import { type Site, siteInputSchema } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import {
  hoaBinhBriefing,
  hoaBinhDistrictSites,
  hoaBinhMainSite,
} from '../../server/demo/hoaBinh.js';
import { reportTemplates } from '../../server/reports/templates.js';
import { Service } from '../../server/Service.js';
import { tempDir, waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Backup during a live meeting, restore on a fresh machine: the service runs (its Redis an
 * external one, as in docker-compose), a chair and two sites are connected and the session is
 * live, sites have confirmed attendance and submitted a report with a document. `npm run backup`
 * (the real command) writes the archive meanwhile; `npm run restore` brings it into an empty
 * DATA_DIR with the private redis-server; a service started there gives the same answers to
 * the same API requests, join links included.
 */

const system: Actor = { kind: 'system', name: 'test' };
const ADMIN = { username: 'it.backup', password: 'mat-khau-rat-dai-2026' };

function cli(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => done({ code, output }));
  });
}

function ask(socket: Socket, name: string, payload: unknown): Promise<unknown> {
  return new Promise((ok, fail) => {
    socket
      .timeout(10_000)
      .emit(
        name,
        payload,
        (err: Error | null, answer: { ok: boolean; data?: unknown; error?: unknown }) => {
          if (err) fail(err);
          else if (answer.ok) ok(answer.data);
          else fail(new Error(`${name}: ${JSON.stringify(answer.error)}`));
        },
      );
  });
}

async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  await waitFor(() => socket.connected, 10_000, 'socket connected');
  await ask(socket, 'join', {});
  return socket;
}

let rtcPort = 45000 + (process.pid % 150) * 10;
function env(dataDir: string, redisUrl?: string): Record<string, string> {
  rtcPort += 10;
  return {
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    RTC_PORT_BASE: String(rtcPort),
    RTC_LISTEN_IP: '127.0.0.1',
    MEDIASOUP_WORKERS: '1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:0' },
    body: JSON.stringify(ADMIN),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('diemcau_session='));
  if (!cookie) throw new Error(`login: ${res.status} ${await res.text()}`);
  return cookie.split(';')[0]!;
}

t.test(
  'backup during a live meeting, restore into an empty data folder: the same answers',
  async (t) => {
    t.setTimeout(90_000);
    const redis = await startTestRedis(t);
    const dataDir = tempDir(t, 'diemcau-backup-live-');
    const service = await Service.start({
      config: loadConfig({ env: env(dataDir, redis.url) }),
      logger: testLogger,
    });
    t.teardown(() => service.close('test done'));
    const { data } = service;
    await data.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
    const main = await data.sites.create(siteInputSchema.parse(hoaBinhMainSite), system);
    const sites: Site[] = [];
    for (const s of hoaBinhDistrictSites.slice(0, 4))
      sites.push(await data.sites.create(siteInputSchema.parse(s), system));
    const d = vietnamParts(Date.now() + 5 * 86_400_000);
    const created = await data.meetings.create(
      meetingInputSchema.parse(
        hoaBinhBriefing({
          year: d.year,
          month: d.month,
          day: d.day,
          letterDate: '2011-10-21',
          mainSiteId: main.id,
          districtSiteIds: sites.map((s) => s.id),
        }),
      ),
      system,
    );
    const meeting = await data.meetings.transition(created.id, 'schedule', system);
    const issued = await data.access.issueMissingLinks(meeting.id, system);
    const tokenOf = (role: string, siteId?: string) =>
      issued.find((l) => l.link.role === role && l.link.siteId === siteId)!.token;
    const template = reportTemplates.find((x) => x.id === 'seed-004-tong-ket')!;
    const request = await data.reports.create(
      meeting.id,
      reportRequestInputSchema.parse({
        title: template.title,
        siteIds: sites.map((s) => s.id),
        sections: template.sections,
        deadline: { kind: 'relative', days: 3, direction: 'before' },
      }),
      system,
    );

    // Live: the chair opens the session, two sites are connected, confirm attendance, report.
    const chair = await connect(service.url, tokenOf('chair'));
    const siteSockets = await Promise.all(
      sites.slice(0, 2).map((s) => connect(service.url, tokenOf('technician', s.id))),
    );
    t.teardown(() => {
      chair.close();
      for (const s of siteSockets) s.close();
    });
    await ask(chair, 'startSession', {});
    const asSite = (siteId: string, method: string, path: string, body?: unknown) =>
      fetch(`${service.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokenOf('technician', siteId)}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    for (const s of sites.slice(0, 2)) {
      const res = await asSite(
        s.id,
        'PUT',
        `/api/meetings/${meeting.id}/attendance/sites/${s.id}`,
        { roles: [], headCount: 6 },
      );
      t.equal(res.status, 200, 'attendance confirmed');
    }
    const answers = Object.fromEntries(
      template.sections.map((s) => [s.id, `Báo cáo mục ${s.title}`]),
    );
    await data.reports.submit(meeting.id, request.id, sites[0]!.id, { sections: answers }, system);
    const form = new FormData();
    const documentText = 'Báo cáo tổng kết năm học — huyện Đà Bắc\n'.repeat(200);
    form.append('file', new Blob([documentText], { type: 'text/plain' }), 'bao-cao.txt');
    const upload = await fetch(
      `${service.url}/api/meetings/${meeting.id}/report-requests/${request.id}/sites/${sites[1]!.id}/document`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenOf('technician', sites[1]!.id)}` },
        body: form,
      },
    );
    t.equal(
      upload.status,
      200,
      `document uploaded: ${upload.status === 200 ? '' : await upload.text()}`,
    );
    await waitFor(
      async () => (await data.attendance.sessionLog(meeting.id)).length >= 3,
      5000,
      'session log',
    );

    const cookie = await login(service.url);
    const paths = [
      '/api/sites',
      '/api/meetings',
      `/api/meetings/${meeting.id}`,
      `/api/meetings/${meeting.id}/links`,
      `/api/meetings/${meeting.id}/report-requests`,
      `/api/meetings/${meeting.id}/report-requests/${request.id}/board`,
      `/api/meetings/${meeting.id}/report-requests/${request.id}/sites/${sites[0]!.id}`,
      `/api/meetings/${meeting.id}/report-requests/${request.id}/sites/${sites[1]!.id}/document`,
      `/api/meetings/${meeting.id}/attendance`,
      `/api/meetings/${meeting.id}/record`,
      `/api/meetings/${meeting.id}/audit`,
    ];
    // "online" counts who is connected now; the restored service has nobody connected yet.
    // Links come from a Redis set (no order); minutes connected run on while a site is joined.
    const comparable = (path: string, body: string) => {
      if (path.endsWith('/links')) {
        const parsed = JSON.parse(body) as { links: { id: string }[] };
        parsed.links.sort((a, b) => a.id.localeCompare(b.id));
        return JSON.stringify(parsed);
      }
      return path.endsWith('/attendance')
        ? body
            .replace(/"online":(true|false|\d+)/g, '"online":_')
            .replace(/"minutesConnected":[\d.]+/g, '"minutesConnected":_')
        : body;
    };
    const answersOf = async (url: string, c: string) => {
      const out: Record<string, string> = {};
      for (const p of paths) {
        const res = await fetch(`${url}${p}`, { headers: { cookie: c } });
        t.equal(res.status, 200, `${p} answers`);
        out[p] = comparable(p, await res.text());
      }
      return out;
    };
    const before = await answersOf(service.url, cookie);

    // The real command, while the session is live and the sites connected.
    const archive = join(tempDir(t, 'diemcau-backups-'), 'nightly.tar.gz');
    const backup = await cli('scripts/backup.ts', [archive], {
      ...env(dataDir, redis.url),
      TURN_URLS: 'turn:turn.example.vn:3478',
      TURN_SECRET: 'bi-mat-turn-rat-dai-2026',
    });
    t.equal(backup.code, 0, backup.output);
    t.match(backup.output, /Backed up: .*nightly\.tar\.gz/);
    t.ok(siteSockets.every((s) => s.connected) && chair.connected, 'the sites stayed connected');

    // What is inside: manifest with versions and checksums, config without its secrets.
    const listing = await new Promise<string>((done) => {
      const tar = spawn('tar', ['-xzOf', archive, './manifest.json', './config.json']);
      let out = '';
      tar.stdout.on('data', (d) => (out += d));
      tar.once('exit', () => done(out));
    });
    t.match(listing, /"format": "diemcau-backup"/);
    t.match(listing, /"schemaVersion": 2/);
    t.match(listing, /"path": "redis\/dump\.rdb"/);
    t.match(listing, /"sha256": "[0-9a-f]{64}"/);
    t.match(listing, /"path": "uploads\//, 'the uploaded document is in it');
    t.notMatch(listing, /bi-mat-turn-rat-dai-2026/, 'the TURN secret is left out');
    t.notMatch(listing, new RegExp(new URL(redis.url).password), 'the Redis password is left out');

    // A fresh machine: empty data folder, no REDIS_URL (the private redis-server).
    const fresh = join(tempDir(t, 'diemcau-restore-'), 'data');
    const restore = await cli('scripts/restore.ts', [archive], env(fresh));
    t.equal(restore.code, 0, restore.output);
    t.match(restore.output, /Restored .*nightly\.tar\.gz/);
    t.ok(existsSync(join(fresh, 'redis', 'appendonlydir')), 'restored into the append-only file');
    const again = await cli('scripts/restore.ts', [archive], env(fresh));
    t.equal(again.code, 1, 'a second restore into the same folder is refused');
    t.match(again.output, /is not empty/);

    const restored = await Service.start({
      config: loadConfig({ env: env(fresh) }),
      logger: testLogger,
    });
    t.teardown(() => restored.close('test done'));
    const after = await answersOf(restored.url, await login(restored.url));
    for (const p of paths) t.equal(after[p], before[p], `${p}: the same answer`);
    const doc = await fetch(
      `${restored.url}/api/meetings/${meeting.id}/report-requests/${request.id}/sites/${sites[1]!.id}/document`,
      { headers: { authorization: `Bearer ${tokenOf('technician', sites[1]!.id)}` } },
    );
    t.equal(await doc.text(), documentText, 'the uploaded document, byte for byte');
    const site = await connect(restored.url, tokenOf('technician', sites[2]!.id));
    t.ok(site.connected, 'a join link issued before the backup works on the restored service');
    site.close();
    t.ok(readFileSync(join(fresh, 'redis', 'redis.url'), 'utf8').startsWith('redis://'));
  },
);
