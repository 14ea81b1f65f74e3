import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  Actor,
  IssuedLink,
  IssueLinkInput,
  JoinLink,
  Principal,
} from '../../protocol/auth.js';
import { AppError, badField, conflict, notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { Text } from '../../protocol/text.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { AuditLog } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { type StoredLink, storedLinkSchema } from '../store/records.js';
import { type AccountEvents, AdminAccounts } from './AdminAccounts.js';
import { type AuthFailureLimits, AuthFailures } from './AuthFailures.js';
import { sha256 } from './passwords.js';

export interface AccessServiceOptions {
  store: RedisStore;
  audit: AuditLog;
  meetings: MeetingService;
  logger: Logger;
  /** Join links are `${publicUrl}/join/<token>`. */
  publicUrl: string;
  /** How long after the meeting's closing time its links still work. Default 6 h. */
  linkGraceMs?: number;
  /** Admin session lifetime. Default 12 h. */
  sessionTtlSeconds?: number;
  now?: () => number;
  /** Failed authentications per address and account (defaults in AuthFailures.ts). */
  authFailureLimits?: Partial<AuthFailureLimits>;
}

export interface RequestCredentials {
  authorization?: string;
  sessionId?: string;
}

/** Access that ended; the live layer closes the connections that were opened with it. */
export interface AccessEvents extends AccountEvents {
  /** Revoked, or replaced by a re-issued link. */
  linkRevoked: [event: { meetingId: string; linkId: string }];
}
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const unauthorized = (message: Text) => new AppError('unauthorized', message);
const invalidLink = () =>
  unauthorized({
    vi: 'Liên kết tham gia không hợp lệ. Hãy xin liên kết mới từ tổ CNTT',
    en: 'Invalid join link. Ask IT staff for a new link',
  });

/** States in which new links make sense (links of ended or cancelled meetings would be useless). */
const linkableStates = new Set(['draft', 'scheduled', 'checking', 'live']);

/**
 * Who may do what: admin accounts with sessions (`accounts`), and join links (chair, site technician,
 * main-point station) carrying a random token stored only as its SHA-256.
 */
export class AccessService extends EventEmitter<AccessEvents> {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly meetings: MeetingService;
  private readonly logger: Logger;
  private readonly publicUrl: string;
  private readonly linkGraceMs: number;
  private readonly now: () => number;
  /** Admin accounts and their login sessions. */
  readonly accounts: AdminAccounts;
  /** Failed authentications over HTTP, per address and per account. */
  readonly failures: AuthFailures;

  constructor(options: AccessServiceOptions) {
    super();
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.logger = options.logger.child({ component: 'access' });
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.linkGraceMs = options.linkGraceMs ?? 6 * 3600_000;
    this.now = options.now ?? Date.now;
    this.failures = new AuthFailures(
      options.store.redis,
      options.store.keys.rateLimit,
      options.authFailureLimits,
    );
    this.accounts = new AdminAccounts({
      store: options.store,
      audit: options.audit,
      logger: this.logger,
      events: this,
      ...(options.sessionTtlSeconds !== undefined
        ? { sessionTtlSeconds: options.sessionTtlSeconds }
        : {}),
      now: this.now,
    });
  }

  // ---- join links ----

  /** Links stop working this long after the meeting closes; follows the meeting when it moves. */
  linkExpiry(meeting: Pick<Meeting, 'closesAt'>): Date {
    return new Date(Date.parse(meeting.closesAt) + this.linkGraceMs);
  }

  linkUrl(token: string): string {
    return `${this.publicUrl}/join/${token}`;
  }

  async listLinks(meetingId: string): Promise<JoinLink[]> {
    const meeting = await this.meetings.get(meetingId);
    const ids = await this.store.read((r) => r.smembers(this.store.keys.meetingLinks(meetingId)));
    const links = await this.store.mgetJson(
      ids.map((id) => this.store.keys.link(id)),
      storedLinkSchema,
    );
    return links
      .filter((l): l is StoredLink => l !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((l) => this.publicLink(l, meeting));
  }

  async issueLink(meetingId: string, input: IssueLinkInput, actor: Actor): Promise<IssuedLink> {
    const [issued] = await this.issue(meetingId, [input], actor);
    return issued!;
  }

  /**
   * Issues the links a meeting still lacks: one chair, one station, one technician per
   * participating site (counting only links not revoked). Used by the demo and the admin page.
   */
  async issueMissingLinks(meetingId: string, actor: Actor): Promise<IssuedLink[]> {
    const meeting = await this.meetings.get(meetingId);
    const active = (await this.listLinks(meetingId)).filter((l) => !l.revokedAt);
    const has = (role: string, siteId?: string) =>
      active.some((l) => l.role === role && l.siteId === siteId);
    const wanted: IssueLinkInput[] = [];
    if (!has('chair')) wanted.push({ role: 'chair' });
    if (!has('station')) wanted.push({ role: 'station' });
    for (const s of meeting.sites)
      if (!has('technician', s.siteId)) wanted.push({ role: 'technician', siteId: s.siteId });
    return wanted.length > 0 ? this.issue(meetingId, wanted, actor) : [];
  }

  /** Revokes the link and issues a new one for the same role and site. */
  async reissueLink(meetingId: string, linkId: string, actor: Actor): Promise<IssuedLink> {
    const [issued] = await this.issue(meetingId, [], actor, linkId);
    return issued!;
  }

  async revokeLink(meetingId: string, linkId: string, actor: Actor): Promise<JoinLink> {
    const { keys } = this.store;
    const meeting = await this.meetings.get(meetingId);
    const revoked = await this.store.transact([keys.link(linkId)], async () => {
      const link = await this.getStoredLink(meetingId, linkId);
      if (link.revokedAt) return { write: () => {}, result: link };
      const after: StoredLink = { ...link, revokedAt: new Date(this.now()).toISOString() };
      return {
        write: (m) => {
          m.set(keys.link(linkId), JSON.stringify(after));
          this.audit.append(m, {
            actor,
            action: 'link.revoke',
            target: `link:${linkId}`,
            meetingId,
            changes: {
              role: [null, link.role],
              ...(link.siteId ? { siteId: [null, link.siteId] } : {}),
            },
          });
        },
        result: after,
      };
    });
    this.logger.info({ meetingId, linkId }, 'join link revoked');
    this.emit('linkRevoked', { meetingId, linkId });
    return this.publicLink(revoked, meeting);
  }

  private async getStoredLink(meetingId: string, linkId: string): Promise<StoredLink> {
    const link = await this.store.getJson(this.store.keys.link(linkId), storedLinkSchema);
    if (!link || link.meetingId !== meetingId)
      throw notFound({ vi: 'Không tìm thấy liên kết', en: `Link not found: ${linkId}` });
    return link;
  }

  private async issue(
    meetingId: string,
    inputs: IssueLinkInput[],
    actor: Actor,
    replaceLinkId?: string,
  ): Promise<IssuedLink[]> {
    const { keys } = this.store;
    const watch = [keys.meeting(meetingId), keys.meetingLinks(meetingId)];
    if (replaceLinkId) watch.push(keys.link(replaceLinkId));
    const { issued, meeting } = await this.store.transact(watch, async () => {
      const meeting = await this.meetings.get(meetingId);
      if (!linkableStates.has(meeting.state)) {
        throw conflict(
          {
            vi: 'Hội nghị đã kết thúc hoặc bị hủy, không cấp liên kết',
            en: 'The meeting has ended or was cancelled; no links are issued',
          },
          { state: meeting.state },
        );
      }
      if (this.linkExpiry(meeting).getTime() <= this.now()) {
        throw conflict(
          {
            vi: 'Hội nghị đã qua, liên kết sẽ hết hạn ngay',
            en: 'The meeting is over: a link would be born expired',
          },
          { expiresAt: this.linkExpiry(meeting).toISOString() },
        );
      }
      let replaced: StoredLink | undefined;
      let wanted = inputs;
      if (replaceLinkId) {
        replaced = await this.getStoredLink(meetingId, replaceLinkId);
        wanted = [{ role: replaced.role, ...(replaced.siteId ? { siteId: replaced.siteId } : {}) }];
      }
      const now = new Date(this.now()).toISOString();
      const issued = wanted.map((input) => {
        if (
          (input.role === 'technician' || input.role === 'reporter') &&
          !meeting.sites.some((s) => s.siteId === input.siteId)
        ) {
          throw badField('body.siteId', {
            vi: 'Điểm cầu không tham dự hội nghị này',
            en: 'The site does not take part in this meeting',
          });
        }
        const token = randomBytes(32).toString('base64url');
        const link: StoredLink = {
          id: randomUUID(),
          role: input.role,
          meetingId,
          ...(input.siteId ? { siteId: input.siteId } : {}),
          createdAt: now,
          createdBy: actor,
          tokenHash: sha256(token),
        };
        return { link, token };
      });
      return {
        write: (m) => {
          if (replaced && !replaced.revokedAt) {
            m.set(
              keys.link(replaced.id),
              JSON.stringify({ ...replaced, revokedAt: now, replacedBy: issued[0]!.link.id }),
            );
          }
          for (const { link } of issued) {
            m.set(keys.link(link.id), JSON.stringify(link));
            m.set(keys.linkHash(link.tokenHash), link.id);
            m.sadd(keys.meetingLinks(meetingId), link.id);
            this.audit.append(m, {
              actor,
              action: replaced ? 'link.reissue' : 'link.issue',
              target: `link:${link.id}`,
              meetingId,
              changes: {
                role: [null, link.role],
                ...(link.siteId ? { siteId: [null, link.siteId] } : {}),
                ...(replaced ? { replaces: [null, replaced.id] } : {}),
              },
            });
          }
        },
        result: { issued, meeting },
      };
    });
    this.logger.info(
      { meetingId, count: issued.length, roles: issued.map((i) => i.link.role) },
      replaceLinkId ? 'join link re-issued' : 'join links issued',
    );
    if (replaceLinkId) this.emit('linkRevoked', { meetingId, linkId: replaceLinkId });
    return issued.map(({ link, token }) => ({
      link: this.publicLink(link, meeting),
      token,
      url: this.linkUrl(token),
    }));
  }

  private publicLink(link: StoredLink, meeting: Pick<Meeting, 'closesAt'>): JoinLink {
    const { tokenHash: _hash, replacedBy: _by, ...rest } = link;
    return { ...rest, expiresAt: this.linkExpiry(meeting).toISOString() };
  }

  /**
   * The signaling layer's entry point: a join-link token → who it is, or a 401 AppError saying
   * why (unknown, revoked, expired, site no longer in the meeting).
   */
  async authenticate(token: string): Promise<Principal> {
    return (await this.authenticateLink(token)).principal;
  }

  async authenticateLink(token: string): Promise<{ principal: Principal; expiresAt: string }> {
    if (!TOKEN_PATTERN.test(token)) throw invalidLink();
    const { keys } = this.store;
    const hash = sha256(token);
    const linkId = await this.store.read((r) => r.get(keys.linkHash(hash)));
    const link = linkId ? await this.store.getJson(keys.link(linkId), storedLinkSchema) : undefined;
    if (!link || link.tokenHash !== hash) throw invalidLink();
    if (link.revokedAt) {
      throw unauthorized({
        vi: 'Liên kết đã bị thu hồi; hãy dùng liên kết mới',
        en: 'This link was revoked; use the new link you were sent',
      });
    }
    const meeting = await this.meetings.find(link.meetingId);
    if (!meeting) throw invalidLink();
    // Cancelling ends every link at once (they work again if IT reopens the meeting).
    if (meeting.state === 'cancelled') {
      throw unauthorized({
        vi: 'Hội nghị đã bị hủy; liên kết không còn dùng được',
        en: 'The meeting was cancelled; this link no longer works',
      });
    }
    const expiresAt = this.linkExpiry(meeting);
    if (this.now() > expiresAt.getTime()) {
      throw unauthorized({ vi: 'Liên kết đã hết hạn', en: 'This link has expired' });
    }
    const tokenId = link.id;
    let principal: Principal;
    switch (link.role) {
      case 'chair':
        principal = { kind: 'chair', meetingId: meeting.id, tokenId };
        break;
      case 'station':
        principal = { kind: 'station', meetingId: meeting.id, tokenId };
        break;
      case 'viewer':
        principal = { kind: 'viewer', meetingId: meeting.id, tokenId };
        break;
      case 'technician':
        if (!link.siteId || !meeting.sites.some((s) => s.siteId === link.siteId)) {
          throw unauthorized({
            vi: 'Điểm cầu của liên kết này không còn tham dự hội nghị',
            en: 'This link’s site no longer takes part in the meeting',
          });
        }
        principal = { kind: 'technician', meetingId: meeting.id, siteId: link.siteId, tokenId };
        break;
      case 'reporter':
        if (!link.siteId || !meeting.sites.some((s) => s.siteId === link.siteId)) {
          throw unauthorized({
            vi: 'Điểm cầu của liên kết này không còn tham dự hội nghị',
            en: 'This link’s site no longer takes part in the meeting',
          });
        }
        principal = { kind: 'reporter', meetingId: meeting.id, siteId: link.siteId, tokenId };
        break;
    }
    return { principal, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Credentials of an HTTP request or socket handshake: a Bearer join token, else the admin
   * session cookie. A bad Bearer token is an error, never a fall-through to the cookie.
   */
  async authenticateCredentials(
    credentials: RequestCredentials,
  ): Promise<{ principal: Principal; expiresAt?: string } | undefined> {
    const auth = credentials.authorization?.trim();
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw invalidLink();
      return this.authenticateLink(m[1]!);
    }
    if (credentials.sessionId) return this.accounts.authenticateSession(credentials.sessionId);
    return undefined;
  }
}

/** The audit trail's view of a principal. */
export function actorOf(principal: Principal): Actor {
  switch (principal.kind) {
    case 'admin':
      return { kind: 'admin', id: principal.userId, name: principal.username };
    case 'technician':
    case 'reporter':
      return { kind: principal.kind, id: principal.tokenId, name: `site:${principal.siteId}` };
    default:
      return { kind: principal.kind, id: principal.tokenId };
  }
}
