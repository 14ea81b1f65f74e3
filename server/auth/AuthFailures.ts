import { randomBytes } from 'node:crypto';
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
  /** How long a browser that logged in stays known to its account (the device cookie). */
  deviceMemoryMs: number;
}

export const defaultAuthFailureLimits: AuthFailureLimits = {
  addressMax: 30,
  addressWindowMs: 10 * 60_000,
  accountMax: 5,
  accountLockMs: 30_000,
  accountMaxLockMs: 30 * 60_000,
  accountMemoryMs: 24 * 3600_000,
  deviceMemoryMs: 180 * 24 * 3600_000,
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
 * and it does not stop a known device: a browser that logged in to the account before carries a
 * device cookie (OWASP's "device cookies"), and its wrong passwords lock only that device, so a
 * stranger typing IT staff's user name cannot keep them out of their own office's browser.
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

  private deviceKey(device: string): string {
    return `${this.prefix}auth-device:${sha256(device)}`;
  }

  /**
   * The device cookie's value when it belongs to this account (a browser that logged in to it
   * before), else undefined: its failures and lock are then the device's, not the account's.
   */
  async knownDevice(device: string | undefined, account: string): Promise<string | undefined> {
    if (!device || device.length > 128) return undefined;
    const owner = await this.redis.get(this.deviceKey(device));
    return owner === this.accountKey(account) ? device : undefined;
  }

  /** A right password: this browser is known to the account from now on (a new cookie value). */
  async rememberDevice(account: string, previous?: string): Promise<string> {
    const device = randomBytes(24).toString('base64url');
    const m = this.redis
      .multi()
      .set(this.deviceKey(device), this.accountKey(account), 'PX', this.limits.deviceMemoryMs);
    if (previous) m.del(this.deviceKey(previous), `${this.deviceKey(previous)}:fail`);
    await m.exec();
    return device;
  }

  get deviceMemorySeconds(): number {
    return Math.floor(this.limits.deviceMemoryMs / 1000);
  }

  /**
   * Throws rate_limited (429) while the address, or the account when named, must wait. A known
   * device (knownDevice) waits only for its own lock.
   */
  async assertAllowed(address: string, account?: string, device?: string): Promise<void> {
    const pipeline = this.redis.multi();
    pipeline.get(this.addressKey(address)).pttl(this.addressKey(address));
    const lockOf = device ? this.deviceKey(device) : account && this.accountKey(account);
    if (lockOf) pipeline.pttl(`${lockOf}:lock`);
    const answers = ((await pipeline.exec()) ?? []).map(([, value]) => value);
    const [count, addressTtl, lockTtl] = answers as [string | null, number, number | undefined];
    if (Number(count ?? 0) >= this.limits.addressMax)
      throw tooMany(addressTtl > 0 ? addressTtl : this.limits.addressWindowMs, 'address');
    if (lockTtl !== undefined && lockTtl > 0) throw tooMany(lockTtl, 'account');
  }

  /**
   * Counts one failure of the address, and for a wrong password one of the account, or of the
   * known device it came from (which then locks the device, not the account).
   */
  async failed(address: string, account?: string, device?: string): Promise<void> {
    const key = this.addressKey(address);
    const m = this.redis.multi().incr(key).pexpire(key, this.limits.addressWindowMs, 'NX');
    const counted = device ? `${this.deviceKey(device)}:fail` : account && this.accountKey(account);
    if (counted) m.incr(counted).pexpire(counted, this.limits.accountMemoryMs);
    const answers = (await m.exec()) ?? [];
    if (!counted) return;
    const failures = Number(answers[2]?.[1] ?? 0);
    const over = failures - this.limits.accountMax;
    if (over < 0) return;
    const lockMs = Math.min(
      this.limits.accountMaxLockMs,
      this.limits.accountLockMs * 2 ** Math.min(over, 30),
    );
    const locked = device ? this.deviceKey(device) : this.accountKey(account!);
    await this.redis.set(`${locked}:lock`, '1', 'PX', lockMs);
  }

  /**
   * A right password: the count of whoever was counted starts over: the known device's, or the
   * account's. A known device logging in leaves a stranger's lock on the account in place.
   */
  async succeeded(account: string, device?: string): Promise<void> {
    const counted = device ? this.deviceKey(device) : this.accountKey(account);
    await this.redis.del(device ? `${counted}:fail` : counted, `${counted}:lock`);
  }
}
