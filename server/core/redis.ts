import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * An ioredis connection from a URL. Its connection errors (Redis away or restarting) go to the
 * log, at most one a second per connection, while ioredis reconnects by itself; without a
 * listener ioredis prints every attempt's stack to stderr. Commands issued meanwhile are
 * queued or fail where they are used.
 */
export function createRedis(url: string, log: Pick<Logger, 'warn'>, opts: RedisOptions = {}): Redis {
  const r = new Redis(url, { lazyConnect: false, enableReadyCheck: true, ...opts });
  r.on('error', redisErrorLogger(log));
  return r;
}

/** An 'error' listener for Redis connections: logs at most one error a second (an outage repeats them at every reconnect attempt). */
export function redisErrorLogger(
  log: Pick<Logger, 'warn'>,
  msg = 'Redis connection error; reconnecting',
): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    log.warn({ err: err.message }, msg);
  };
}

/** BullMQ connection options from a URL (each Queue/Worker opens its own connections). */
export function bullConnection(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
