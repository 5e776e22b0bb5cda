// Failed logins are counted per account and per client IP in Redis (rate-limiter-flexible),
// so the limit holds across web processes. A success clears the account's counter.
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { TooManyRequestsError } from '../core/errors.js';

export class LoginThrottle {
  private readonly perAccount: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, prefix: string, maxAttempts: number, windowSeconds: number) {
    this.perAccount = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login:acct`,
      points: maxAttempts,
      duration: windowSeconds,
      blockDuration: windowSeconds,
    });
    // An IP may try several accounts (a shared store terminal), but not spray them.
    this.perIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login:ip`,
      points: maxAttempts * 4,
      duration: windowSeconds,
      blockDuration: windowSeconds,
    });
  }

  /** Throws TooManyRequestsError when either counter is exhausted. */
  async check(username: string, ip: string): Promise<void> {
    const [a, i] = await Promise.all([this.perAccount.get(username.toLowerCase()), this.perIp.get(ip)]);
    for (const [res, limiter] of [
      [a, this.perAccount],
      [i, this.perIp],
    ] as const) {
      if (res && res.consumedPoints >= limiter.points) {
        throw new TooManyRequestsError(
          'Too many failed sign-in attempts. Try again later.',
          Math.ceil(res.msBeforeNext / 1000),
        );
      }
    }
  }

  async failed(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.perAccount.consume(username.toLowerCase()).catch((e) => ignoreLimit(e)),
      this.perIp.consume(ip).catch((e) => ignoreLimit(e)),
    ]);
  }

  async succeeded(username: string): Promise<void> {
    await this.perAccount.delete(username.toLowerCase());
  }

  /** An admin lifts an account's lock: its failed attempts are forgotten. */
  async unlock(username: string): Promise<void> {
    await this.perAccount.delete(username.toLowerCase());
  }

  /** Of these user names, the (lower-cased) ones that may not sign in now. */
  async lockedAccounts(usernames: string[]): Promise<Set<string>> {
    const names = [...new Set(usernames.map((u) => u.toLowerCase()))];
    const res = await Promise.all(names.map((n) => this.perAccount.get(n)));
    return new Set(names.filter((_, i) => (res[i]?.consumedPoints ?? 0) >= this.perAccount.points));
  }
}

function ignoreLimit(e: unknown) {
  if (e instanceof RateLimiterRes) return;
  throw e;
}
