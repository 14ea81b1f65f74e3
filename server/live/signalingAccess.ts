import { createHmac } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { Config } from '../../config/index.js';
import type { Principal } from '../../protocol/auth.js';
import { AppError, badField, conflict, forbidden } from '../../protocol/errors.js';
import { idSchema } from '../../protocol/fields.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { HandshakeCredentials, SignalingPrincipal } from '../../signaling/SessionDirectory.js';
import { SESSION_COOKIE } from '../auth/AdminAccounts.js';
import { sha256 } from '../auth/passwords.js';
import type { DataServices } from '../DataServices.js';
import { assertSameOrigin } from '../http/sameOrigin.js';

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
 * Who may connect to the live meetings: a join link or an IT login becomes a signaling principal
 * (role, meeting, site, name, until when), and each endpoint gets TURN credentials that end with
 * its meeting's links.
 */
export class SignalingAccess {
  /** Link expiry of each meeting seen at a handshake, so TURN credentials end with it. */
  private readonly linksExpire = new Map<string, number>();

  constructor(
    private readonly data: DataServices,
    private readonly config: Config,
  ) {}

  async authenticate({
    token,
    cookie,
    meetingId,
    origin,
    secFetchSite,
    host,
    scheme,
  }: HandshakeCredentials): Promise<SignalingPrincipal> {
    const { data, config } = this;
    if (token) {
      const link = await data.access.authenticateLink(token);
      if (link.principal.kind === 'admin')
        throw new AppError('unauthorized', { vi: 'Liên kết không hợp lệ', en: 'Invalid link' });
      return this.principalFor(
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
    return this.principalFor(
      session.principal,
      { kind: 'login', sessionHash: sha256(sessionId) },
      session.expiresAt,
      meetingId,
    );
  }

  private async principalFor(
    p: Principal,
    credential: NonNullable<SignalingPrincipal['credential']>,
    expiresAt: string,
    meetingId?: string,
  ): Promise<SignalingPrincipal> {
    const data = this.data;
    const id = p.kind === 'admin' ? meetingId : p.meetingId;
    if (!id)
      throw badField('meetingId', {
        vi: 'Tổ CNTT kết nối vào từng hội nghị một',
        en: 'IT staff connect to one meeting at a time',
      });
    if (!idSchema.safeParse(id).success)
      throw badField('meetingId', { vi: 'Mã không hợp lệ', en: 'Invalid id' });
    const meeting = await data.meetings.get(id);
    this.linksExpire.set(id, data.access.linkExpiry(meeting).getTime());
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

  /** ICE servers for one endpoint: TURN credentials of its own, ending with its meeting's links. */
  iceServers(meetingId: string, endpointId: string) {
    return turnCredentials(this.config.turn, {
      meetingId,
      endpointId,
      endsAt: this.linksExpire.get(meetingId) ?? Date.now(),
    });
  }
}
