import { AppError } from '../protocol/errors.js';
import type { RequestName } from '../protocol/socket.js';

/*
 * Limits of the socket layer, apart from the per-socket request rate: handshakes per client
 * address (each one is a token or session lookup), failed authentications per address (a token
 * guesser), and per-connection concurrency of requests that hold the worker or Redis for long.
 */

export interface HandshakeLimits {
  /** Handshakes one address may burst. */
  burst: number;
  /** Handshakes per second an address earns back. */
  perSecond: number;
  /** Failed authentications an address may have in failureWindowMs before it is refused. */
  maxFailures: number;
  failureWindowMs: number;
}

export const defaultHandshakeLimits: HandshakeLimits = {
  burst: 60,
  perSecond: 1,
  maxFailures: 20,
  failureWindowMs: 5 * 60_000,
};

interface AddressState {
  tokens: number;
  refilledAt: number;
  failures: number[];
}

const retryLater = (seconds: number) =>
  new AppError(
    'rate_limited',
    {
      vi: `Quá nhiều lần kết nối, hãy thử lại sau ${seconds} giây`,
      en: `Too many connection attempts, retry in ${seconds} s`,
    },
    { retryAfterSeconds: seconds },
  );

/** Per-address handshake budget; in memory, because a socket lives on the instance it reached. */
export class HandshakeLimiter {
  private readonly limits: HandshakeLimits;
  private readonly addresses = new Map<string, AddressState>();
  private calls = 0;

  constructor(
    limits: Partial<HandshakeLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...defaultHandshakeLimits, ...limits };
  }

  /** Throws while the address is locked out, then spends one handshake (see spend). */
  admit(address: string): void {
    this.assertNotLockedOut(address);
    this.spend(address);
  }

  /**
   * Spends one handshake of the address; throws rate_limited when it has none left. Called for
   * every new engine.io connection, before any socket.io handshake.
   */
  spend(address: string): void {
    const now = this.now();
    if (++this.calls % 1000 === 0) this.sweep(now);
    const state = this.stateOf(address, now);
    const { burst, perSecond } = this.limits;
    state.tokens = Math.min(burst, state.tokens + ((now - state.refilledAt) / 1000) * perSecond);
    state.refilledAt = now;
    if (state.tokens < 1) throw retryLater(Math.ceil((1 - state.tokens) / perSecond));
    state.tokens -= 1;
  }

  /** Throws rate_limited while the address has too many recent failed authentications. */
  assertNotLockedOut(address: string): void {
    const now = this.now();
    const state = this.addresses.get(address);
    if (!state) return;
    const { maxFailures, failureWindowMs } = this.limits;
    state.failures = state.failures.filter((at) => now - at < failureWindowMs);
    if (state.failures.length >= maxFailures)
      throw retryLater(Math.ceil((state.failures[0]! + failureWindowMs - now) / 1000));
  }

  /** The address presented credentials that did not authenticate. */
  failed(address: string): void {
    const now = this.now();
    this.stateOf(address, now).failures.push(now);
  }

  get size(): number {
    return this.addresses.size;
  }

  private stateOf(address: string, now: number): AddressState {
    let state = this.addresses.get(address);
    if (!state) {
      state = { tokens: this.limits.burst, refilledAt: now, failures: [] };
      this.addresses.set(address, state);
    }
    return state;
  }

  /** Forgets addresses that are back to a full budget and no recent failure. */
  private sweep(now: number): void {
    const { burst, perSecond, failureWindowMs } = this.limits;
    for (const [address, s] of this.addresses) {
      const full = s.tokens + ((now - s.refilledAt) / 1000) * perSecond >= burst;
      if (full && s.failures.every((at) => now - at >= failureWindowMs))
        this.addresses.delete(address);
    }
  }
}

/** Requests that hold a worker or Redis for long: how many one connection may have in flight. */
export const concurrencyLimits: Readonly<Partial<Record<RequestName, number>>> = {
  beginCheck: 1,
  measureUplink: 1,
  submitCheck: 1,
  startItCall: 1,
};

const inFlight = new WeakMap<object, Map<RequestName, number>>();

/**
 * Runs one request of a connection within its concurrency limit: a second measureUplink while
 * one is measuring is refused, not queued (the page never needs two at once).
 */
export function withinConcurrency<T>(
  connection: object,
  name: RequestName,
  run: () => Promise<T>,
): Promise<T> {
  const limit = concurrencyLimits[name];
  if (limit === undefined) return run();
  let counts = inFlight.get(connection);
  if (!counts) {
    counts = new Map();
    inFlight.set(connection, counts);
  }
  const running = counts.get(name) ?? 0;
  if (running >= limit)
    return Promise.reject(
      new AppError('rate_limited', {
        vi: `${name}: yêu cầu trước chưa xong`,
        en: `the previous ${name} is still running`,
      }),
    );
  counts.set(name, running + 1);
  const done = () => {
    const left = (counts.get(name) ?? 1) - 1;
    if (left > 0) counts.set(name, left);
    else counts.delete(name);
  };
  let promise: Promise<T>;
  try {
    promise = run();
  } catch (err) {
    done();
    return Promise.reject(err);
  }
  return promise.finally(done);
}
