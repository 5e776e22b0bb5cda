// The webhook knobs: private addresses allowed by default except in production, and overridable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

const PROD = {
  NODE_ENV: 'production',
  MYSQL_URL: 'mysql://u:p@db:3306/esl',
  REDIS_URL: 'redis://r:6379',
  SESSION_SECRET: 'x'.repeat(40),
};

describe('webhook configuration', () => {
  it('allows private addresses in development and tests, refuses them in production unless told', () => {
    expect(loadConfig({}).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(loadConfig(PROD).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(loadConfig({ ...PROD, WEBHOOK_ALLOW_PRIVATE: 'true' }).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'false' }).WEBHOOK_ALLOW_PRIVATE).toBe(false);
  });

  it('has the documented defaults and refuses bad values naming the variable', () => {
    const c = loadConfig({});
    expect([
      c.WEBHOOK_TIMEOUT_MS,
      c.WEBHOOK_MAX_ATTEMPTS,
      c.WEBHOOK_RETRY_BASE_MS,
      c.WEBHOOK_PAUSE_AFTER_FAILURES,
      c.WEBHOOK_RELAY_INTERVAL_MS,
      c.WEBHOOK_CONCURRENCY,
    ]).toEqual([10_000, 8, 5_000, 20, 1000, 4]);
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });
});
