import { Writable } from 'node:stream';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import type { Test } from 'tap';
import type { IssuedLink } from '../../protocol/auth.js';
import type { Meeting, MeetingInput } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { vietnamParts } from '../../protocol/time.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import type { Service } from '../../server/Service.js';
import { createHoaBinhSites, login } from './dataApi.js';
import { startTestService } from './service.js';

export const STACK_ADMIN = { username: 'admin', password: 'mat-khau-rat-dai-2011' };

/** Every checklist item confirmed. */
export const fullChecklist = {
  items: {
    cameraFraming: true,
    microphone: true,
    display: true,
    backupPower: true,
    banner: true,
    seats: true,
  },
};

export type Handshake =
  | { ok: true; socket: Socket }
  | { ok: false; code?: string; message: string };

/** One socket.io handshake over WebSocket, no reconnection: connected, or refused with its code. */
export function handshake(
  url: string,
  auth: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect(url, {
      transports: ['websocket'],
      auth,
      extraHeaders: headers,
      reconnection: false,
      forceNew: true,
    });
    socket.on('connect', () => resolve({ ok: true, socket }));
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({ ok: false, code: err.data?.code, message: err.message });
    });
  });
}

export interface ServiceStack {
  service: Service;
  /** Every log line the service wrote (JSON, trace level and up). */
  logs: string[];
  adminCookie: string;
  main: Site;
  districts: Site[];
  meeting: Meeting;
  /** The body the meeting was created from. */
  meetingInput: MeetingInput;
  links: IssuedLink[];
  tokenOf(role: string, siteId?: string): string;
}

/**
 * The whole service (Redis, one mediasoup worker, signaling, checks) listening on loopback, its
 * logs captured, with the Hòa Bình sites and a scheduled meeting ten days ahead with its links.
 */
export async function startServiceStack(
  t: Test,
  env: Record<string, string> = {},
): Promise<ServiceStack> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  const svc = await startTestService(t, {
    name: 'stack',
    env,
    logger,
  });
  await svc.data.access.createUser(STACK_ADMIN.username, STACK_ADMIN.password, {
    kind: 'system',
    name: 'test',
  });
  const adminCookie = await login(svc.app, STACK_ADMIN);
  const api = { app: svc.app, adminCookie } as Parameters<typeof createHoaBinhSites>[0];
  const { main, districts } = await createHoaBinhSites(api);
  const d = vietnamParts(Date.now() + 10 * 86_400_000);
  const input = hoaBinhBriefing({
    year: d.year,
    month: d.month,
    day: d.day,
    letterDate: '2011-10-21',
    mainSiteId: main.id,
    districtSiteIds: districts.map((s) => s.id),
  });
  const post = async (url: string, payload?: unknown) => {
    const res = await svc.app.inject({
      method: 'POST',
      url,
      headers: { cookie: adminCookie },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const meeting = (await post('/api/meetings', input)) as Meeting;
  await post(`/api/meetings/${meeting.id}/actions/schedule`);
  const links = (await post(`/api/meetings/${meeting.id}/links/missing`)).issued as IssuedLink[];
  const tokenOf = (role: string, siteId?: string) => {
    const found = links.find((l) => l.link.role === role && l.link.siteId === siteId);
    if (!found) throw new Error(`no ${role} link`);
    return found.token;
  };
  return {
    service: svc,
    logs,
    adminCookie,
    main,
    districts,
    meeting,
    meetingInput: input,
    links,
    tokenOf,
  };
}
