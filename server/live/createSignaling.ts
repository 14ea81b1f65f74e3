import { createHmac } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import type { Config } from '../../config/index.js';
import type { WorkerPool } from '../../media/WorkerPool.js';
import type { Principal } from '../../protocol/auth.js';
import { chairSnapshotSchema } from '../../protocol/clusterBus.js';
import { AppError, badField, conflict, forbidden } from '../../protocol/errors.js';
import { idSchema } from '../../protocol/fields.js';
import { type Meeting, meetingTransitions } from '../../protocol/meetings.js';
import type { CheckHooks } from '../../signaling/ConnectionCheck.js';
import { type SignalingPrincipal, SignalingServer } from '../../signaling/SignalingServer.js';
import type { SessionMeetingInfo } from '../../signaling/session/MeetingSession.js';
import type { SessionPeers } from '../../signaling/session/SessionPeers.js';
import { SESSION_COOKIE } from '../auth/AdminAccounts.js';
import { sha256 } from '../auth/passwords.js';
import type { FencedWrites } from '../cluster/ClusterNode.js';
import type { DataServices } from '../DataServices.js';
import { clientAddressOf, trustFor } from '../http/clientAddress.js';
import { assertSameOrigin } from '../http/sameOrigin.js';
import type { Logger } from '../logger.js';
import { sessionInfoOf } from './LiveMeetings.js';

export interface CreateSignalingOptions {
  httpServer: HttpServer;
  pool: WorkerPool;
  data: DataServices;
  config: Config;
  logger: Logger;
  /** The connection check's persistence per meeting (server/readiness); absent: no checks. */
  checkHooks?: (meetingId: string) => CheckHooks;
  /** Several nodes: the saved state is written only while this node holds the meeting's lease. */
  fence?: FencedWrites;
  /** Several nodes, meetings cascaded: the other nodes of a meeting's session. */
  peers?(meetingId: string, ownerNodeId?: string): SessionPeers | undefined;
}

/** States in which endpoints may connect: the waiting room, the check window, the session. */
const connectableStates = new Set<Meeting['state']>(['scheduled', 'checking', 'live']);

/** Whose TURN credentials: the endpoint, in its meeting, until the meeting's links expire. */
export interface TurnHolder {
  meetingId: string;
  endpointId: string;
  /** When the meeting's join links expire (ms): a credential never outlives its link. */
  endsAt: number;
}

/**
 * coturn's use-auth-secret credentials: username "<expiry>:<meetingId>:<endpointId>" (coturn
 * logs who relays), password HMAC-SHA1 of it. Valid until the meeting's links expire, and never
 * longer than the configured lifetime.
 */
export function turnCredentials(config: Config['turn'], holder: TurnHolder, now = Date.now()) {
  if (config.urls.length === 0 || !config.secret) return [];
  const expiresAt = Math.min(
    now + config.credentialTtlSeconds * 1000,
    Math.max(now, holder.endsAt),
  );
  const username = `${Math.floor(expiresAt / 1000)}:${holder.meetingId}:${holder.endpointId}`;
  const credential = createHmac('sha1', config.secret).update(username).digest('base64');
  return [{ urls: config.urls, username, credential }];
}

/**
 * Joins the signaling layer to the department's data: join tokens and IT sessions become
 * signaling principals, the meeting's sites and agenda feed the session, and starting or ending
 * the session moves the stored meeting through its lifecycle.
 */
export function createSignaling(options: CreateSignalingOptions): SignalingServer {
  const { data, config } = options;
  const trust = trustFor(config.http.trustedProxies);
  /** Link expiry of each meeting seen at a handshake, so TURN credentials end with it. */
  const linksExpire = new Map<string, number>();

  async function principalFor(
    p: Principal,
    credential: NonNullable<SignalingPrincipal['credential']>,
    expiresAt: string,
    meetingId?: string,
  ): Promise<SignalingPrincipal> {
    const id = p.kind === 'admin' ? meetingId : p.meetingId;
    if (!id)
      throw badField('meetingId', {
        vi: 'Tổ CNTT kết nối vào từng hội nghị một',
        en: 'IT staff connect to one meeting at a time',
      });
    if (!idSchema.safeParse(id).success)
      throw badField('meetingId', { vi: 'Mã không hợp lệ', en: 'Invalid id' });
    const meeting = await data.meetings.get(id);
    linksExpire.set(id, data.access.linkExpiry(meeting).getTime());
    if (!connectableStates.has(meeting.state)) {
      throw conflict(
        {
          vi: `Hội nghị đang ở trạng thái ${meeting.state}: chưa thể kết nối`,
          en: `The meeting is ${meeting.state}`,
        },
        {
          state: meeting.state,
        },
      );
    }
    const access = { credential, expiresAt };
    switch (p.kind) {
      case 'admin':
        return {
          role: 'it',
          meetingId: id,
          userId: p.userId,
          name: `Tổ CNTT (${p.username})`,
          ...access,
        };
      case 'chair':
        return { role: 'chair', meetingId: id, name: meeting.chair ?? 'Chủ trì', ...access };
      case 'station': {
        const main = await data.sites.find(meeting.mainSite.siteId);
        return { role: 'station', meetingId: id, name: main?.name ?? 'Điểm cầu chính', ...access };
      }
      case 'technician': {
        const site = await data.sites.get(p.siteId);
        return { role: 'site', meetingId: id, siteId: p.siteId, name: site.name, ...access };
      }
      case 'viewer':
        throw forbidden({
          vi: 'Liên kết người xem chỉ xem luồng trực tiếp',
          en: 'A viewer link only watches the live stream',
        });
      case 'reporter':
        throw forbidden({
          vi: 'Liên kết gửi báo cáo không tham gia phiên họp',
          en: 'A reporter link does not join the live session',
        });
    }
  }

  return new SignalingServer({
    httpServer: options.httpServer,
    pool: options.pool,
    logger: options.logger,
    authenticate: async ({ token, cookie, meetingId, origin, secFetchSite, host, scheme }) => {
      if (token) {
        const link = await data.access.authenticateLink(token);
        if (link.principal.kind === 'admin')
          throw new AppError('unauthorized', { vi: 'Liên kết không hợp lệ', en: 'Invalid link' });
        return principalFor(
          link.principal,
          { kind: 'link', linkId: link.principal.tokenId },
          link.expiresAt,
        );
      }
      // Only the cookie is ambient authority a foreign page could borrow; a token is not.
      assertSameOrigin({ origin, secFetchSite, host, scheme }, config.http.publicUrl!);
      const sessionId = cookie ? fastifyCookie.parse(cookie)[SESSION_COOKIE] : undefined;
      const session = sessionId
        ? await data.access.accounts.authenticateSession(sessionId)
        : undefined;
      if (!session || !sessionId) {
        throw new AppError('unauthorized', {
          vi: 'Cần liên kết tham gia hoặc đăng nhập',
          en: 'A join link or a login is required',
        });
      }
      return principalFor(
        session.principal,
        { kind: 'login', sessionHash: sha256(sessionId) },
        session.expiresAt,
        meetingId,
      );
    },
    meetingInfo: async (meetingId): Promise<SessionMeetingInfo> => {
      const meeting = await data.meetings.get(meetingId);
      const info = await sessionInfoOf(data, meeting);
      const saved = await data.store.read((r) => r.get(data.store.keys.meetingLive(meetingId)));
      // Only a session of this live meeting resumes; a saved state from before is stale.
      const parsed = saved ? chairSnapshotSchema.partial().safeParse(JSON.parse(saved)) : undefined;
      return parsed?.success && meeting.state === 'live' ? { ...info, saved: parsed.data } : info;
    },
    hooks: (meetingId) => ({
      started: async (actor) => {
        const meeting = await data.meetings.get(meetingId);
        if (meeting.state !== 'live') {
          await data.meetings.transition(meetingId, 'goLive', { kind: 'chair', name: actor });
        }
      },
      ended: async (actor, action) => {
        const meeting = await data.meetings.get(meetingId);
        const from: readonly string[] = meetingTransitions[action].from;
        if (from.includes(meeting.state))
          await data.meetings.transition(meetingId, action, { kind: 'chair', name: actor });
        const key = data.store.keys.meetingLive(meetingId);
        if (options.fence) await options.fence.del(meetingId, key);
        else await data.store.write((r) => r.del(key));
      },
      saveState: (snapshot) => {
        if (snapshot.status !== 'live') return;
        const key = data.store.keys.meetingLive(meetingId);
        const json = JSON.stringify(snapshot);
        (options.fence
          ? options.fence.set(meetingId, key, json, 172_800).then((written) => {
              if (!written)
                options.logger.warn(
                  { meetingId },
                  'live state not saved: this node lost the lease',
                );
            })
          : data.store.write((r) => r.set(key, json, 'EX', 172_800))
        ).catch((err) =>
          options.logger.warn({ err, meetingId }, 'could not save the live session state'),
        );
      },
    }),
    iceServers: (meetingId, endpointId) =>
      turnCredentials(config.turn, {
        meetingId,
        endpointId,
        endsAt: linksExpire.get(meetingId) ?? Date.now(),
      }),
    qualityThresholds: config.checks,
    ...(options.checkHooks
      ? { checkHooks: options.checkHooks, checkThresholds: config.checks }
      : {}),
    maxConsumersPerRouter: config.media.maxConsumersPerRouter,
    keyFrameRequestDelayMs: config.media.keyFrameRequestDelayMs,
    idleCloseMs: config.media.idleSessionCloseSeconds * 1000,
    clientAddress: (request) => clientAddressOf(request, trust),
    ...(options.peers ? { peers: options.peers } : {}),
  });
}
