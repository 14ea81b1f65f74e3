import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { type Actor, type Principal, type User, usernameSchema } from '../../protocol/auth.js';
import { AppError, badField, conflict, fieldsError, zodFields } from '../../protocol/errors.js';
import type { Text } from '../../protocol/text.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { type StoredUser, storedSessionSchema, storedUserSchema } from '../store/records.js';
import { hashPassword, passwordProblem, sha256, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'diemcau_session';

/** Logins that ended; the live layer closes the IT board sockets opened with them. */
export interface AccountEvents {
  /** One admin login ended (logout). sessionHash: SHA-256 of the cookie value. */
  loginEnded: [event: { sessionHash: string }];
  /** Every login of one account ended (password reset). */
  userLoginsEnded: [event: { userId: string }];
}

const unauthorized = (message: Text) => new AppError('unauthorized', message);

export interface AdminAccountsOptions {
  store: RedisStore;
  audit: AuditLog;
  logger: Logger;
  /** Where the ended logins are announced (the AccessService). */
  events: Pick<EventEmitter<AccountEvents>, 'emit'>;
  /** Admin session lifetime. Default 12 h. */
  sessionTtlSeconds?: number;
  now?: () => number;
}

/**
 * IT staff accounts (scrypt password hashes) and their login sessions, kept in Redis under the
 * SHA-256 of the cookie value.
 */
export class AdminAccounts {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly logger: Logger;
  private readonly events: Pick<EventEmitter<AccountEvents>, 'emit'>;
  readonly sessionTtlSeconds: number;
  private readonly now: () => number;
  /** Verified against when the username is unknown, so both cases take the same time. */
  private dummyHash?: Promise<string>;

  constructor(options: AdminAccountsOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.logger = options.logger;
    this.events = options.events;
    this.sessionTtlSeconds = options.sessionTtlSeconds ?? 12 * 3600;
    this.now = options.now ?? Date.now;
  }

  async hasUsers(): Promise<boolean> {
    return (await this.store.read((r) => r.scard(this.store.keys.users))) > 0;
  }

  async findUser(username: string): Promise<StoredUser | undefined> {
    const { keys } = this.store;
    const id = await this.store.read((r) => r.get(keys.username(username)));
    return id ? this.store.getJson(keys.user(id), storedUserSchema) : undefined;
  }

  /** Creates an admin account; with `reset`, an existing account gets the new password. */
  async createUser(
    rawUsername: string,
    password: string,
    actor: Actor,
    options: { reset?: boolean } = {},
  ): Promise<{ user: User; created: boolean }> {
    const parsed = usernameSchema.safeParse(rawUsername);
    if (!parsed.success) throw fieldsError(zodFields(parsed.error, 'username'));
    const username = parsed.data;
    const problem = passwordProblem(password);
    if (problem) throw badField('password', problem);
    const passwordHash = await hashPassword(password);
    const { keys } = this.store;
    return this.store
      .transact([keys.username(username)], async () => {
        const existing = await this.findUser(username);
        if (existing && !options.reset)
          throw conflict({
            vi: `Tài khoản "${username}" đã có`,
            en: `Account "${username}" already exists`,
          });
        const now = new Date(this.now()).toISOString();
        const user: StoredUser = existing
          ? { ...existing, version: existing.version + 1, passwordHash, updatedAt: now }
          : {
              id: randomUUID(),
              version: 1,
              username,
              passwordHash,
              createdAt: now,
              updatedAt: now,
            };
        return {
          write: (m) => {
            m.set(keys.user(user.id), JSON.stringify(user));
            m.set(keys.username(username), user.id);
            m.sadd(keys.users, user.id);
            this.audit.append(m, {
              actor,
              action: existing ? 'user.reset-password' : 'user.create',
              target: `user:${user.id}`,
              changes: { username: [null, username] },
            });
          },
          result: {
            user: { id: user.id, username: user.username, createdAt: user.createdAt },
            created: !existing,
          },
        };
      })
      .then((result) => {
        // Logins made with the old password end: HTTP checks the version, live sockets are closed.
        if (!result.created) this.events.emit('userLoginsEnded', { userId: result.user.id });
        return result;
      });
  }

  // ---- sessions ----

  /** Checks the password and opens a session; the same answer for unknown user and bad password. */
  async login(
    username: string,
    password: string,
  ): Promise<{ sessionId: string; expiresAt: string; principal: Principal }> {
    const user = await this.findUser(username);
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !ok) {
      this.logger.warn({ username }, 'login failed');
      throw unauthorized({
        vi: 'Sai tên đăng nhập hoặc mật khẩu',
        en: 'Wrong username or password',
      });
    }
    const sessionId = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now + this.sessionTtlSeconds * 1000).toISOString();
    const record = {
      userId: user.id,
      userVersion: user.version,
      username: user.username,
      createdAt: new Date(now).toISOString(),
      expiresAt,
    };
    await this.store.write((r) =>
      r.set(
        this.store.keys.session(sha256(sessionId)),
        JSON.stringify(record),
        'EX',
        this.sessionTtlSeconds,
      ),
    );
    this.logger.info({ userId: user.id, username: user.username }, 'admin logged in');
    return {
      sessionId,
      expiresAt,
      principal: { kind: 'admin', userId: user.id, username: user.username },
    };
  }

  async logout(sessionId: string): Promise<void> {
    const sessionHash = sha256(sessionId);
    await this.store.write((r) => r.del(this.store.keys.session(sessionHash)));
    this.events.emit('loginEnded', { sessionHash });
  }

  async authenticateSession(
    sessionId: string,
  ): Promise<{ principal: Principal; expiresAt: string } | undefined> {
    if (sessionId.length > 100) return undefined;
    const session = await this.store.getJson(
      this.store.keys.session(sha256(sessionId)),
      storedSessionSchema,
    );
    if (!session) return undefined;
    // A deleted account's sessions end with it.
    const user = await this.store.getJson(this.store.keys.user(session.userId), storedUserSchema);
    if (!user) return undefined;
    // A password reset since this login ends it.
    if (session.userVersion !== undefined && session.userVersion !== user.version) return undefined;
    return {
      principal: { kind: 'admin', userId: user.id, username: user.username },
      expiresAt: session.expiresAt,
    };
  }
}
