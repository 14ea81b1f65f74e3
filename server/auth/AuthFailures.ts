import type { Redis } from 'ioredis';
import { AppError } from '../../protocol/errors.js';
import { sha256 } from './passwords.js';

export interface AuthFailureLimits {
  /** Failed authentications (bad token, bad session, wrong password) one address may have… */
  addressMax: number;
  /** …within this window, counted from its first failure; then it waits for the window's end. */
  addressWindowMs: number;
  /** Wrong passwords for one account before it is locked out for a while. */
  accountMax: number;
  /** First lock-out of an account; each further failure doubles it, up to accountMaxLockMs. */
  accountLockMs: number;
  accountMaxLockMs: number;
  /** How long an account's failure count is remembered after its last failure. */
  accountMemoryMs: number;
}

export const defaultAuthFailureLimits: AuthFailureLimits = {
  addressMax: 30,
  addressWindowMs: 10 * 60_000,
  accountMax: 5,
  accountLockMs: 30_000,
  accountMaxLockMs: 30 * 60_000,
  accountMemoryMs: 24 * 3600_000,
};

const tooMany = (ms: number, what: 'address' | 'account') => {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AppError(
    'rate_limited',
    what === 'account'
      ? {
          vi: `Tài khoản tạm khóa do nhập sai nhiều lần, hãy thử lại sau ${seconds} giây`,
          en: `Too many failed logins for this account, retry in ${seconds} s`,
        }
      : {
          vi: `Quá nhiều lần xác thực sai, hãy thử lại sau ${seconds} giây`,
          en: `Too many failed authentications, retry in ${seconds} s`,
        },
    { retryAfterSeconds: seconds },
  );
};

/**
 * Failed authentications over HTTP, in Redis so every node counts them: per client address
 * (a token guesser, whichever route it knocks on) and per admin account with a back-off that
 * doubles (a password guesser spread over many addresses). The account lock is short at first,
 * so a stranger cannot keep IT staff out for long by typing their user name.
 */
export class AuthFailures {
  private readonly limits: AuthFailureLimits;

  constructor(
    private readonly redis: Redis,
    /** Key namespace (the rate limiter's: counters that expire on their own). */
    private readonly prefix: string,
    limits: Partial<AuthFailureLimits> = {},
  ) {
    this.limits = { ...defaultAuthFailureLimits, ...limits };
  }

  private addressKey(address: string): string {
    return `${this.prefix}auth-fail:addr:${address}`;
  }
  private accountKey(account: string): string {
    return `${this.prefix}auth-fail:acct:${sha256(account.trim().toLowerCase())}`;
  }

  /** Throws rate_limited (429) while the address, or the account when named, must wait. */
  async assertAllowed(address: string, account?: string): Promise<void> {
    const pipeline = this.redis.multi();
    pipeline.get(this.addressKey(address)).pttl(this.addressKey(address));
    if (account !== undefined) pipeline.pttl(`${this.accountKey(account)}:lock`);
    const answers = ((await pipeline.exec()) ?? []).map(([, value]) => value);
    const [count, addressTtl, lockTtl] = answers as [string | null, number, number | undefined];
    if (Number(count ?? 0) >= this.limits.addressMax)
      throw tooMany(addressTtl > 0 ? addressTtl : this.limits.addressWindowMs, 'address');
    if (lockTtl !== undefined && lockTtl > 0) throw tooMany(lockTtl, 'account');
  }

  /** Counts one failure of the address (and of the account, for a wrong password). */
  async failed(address: string, account?: string): Promise<void> {
    const key = this.addressKey(address);
    const m = this.redis.multi().incr(key).pexpire(key, this.limits.addressWindowMs, 'NX');
    if (account !== undefined) {
      const acct = this.accountKey(account);
      m.incr(acct).pexpire(acct, this.limits.accountMemoryMs);
    }
    const answers = (await m.exec()) ?? [];
    if (account === undefined) return;
    const failures = Number(answers[2]?.[1] ?? 0);
    const over = failures - this.limits.accountMax;
    if (over < 0) return;
    const lockMs = Math.min(
      this.limits.accountMaxLockMs,
      this.limits.accountLockMs * 2 ** Math.min(over, 30),
    );
    await this.redis.set(`${this.accountKey(account)}:lock`, '1', 'PX', lockMs);
  }

  /** A right password: the account's count starts over. */
  async succeeded(account: string): Promise<void> {
    await this.redis.del(this.accountKey(account), `${this.accountKey(account)}:lock`);
  }
}
