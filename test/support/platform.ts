// A whole platform on its own database, Redis prefix and ephemeral ports, as a test fixture.
import { loadConfig, type Config } from '../../server/config.js';
import { createLogger, type Logger } from '../../server/core/logger.js';
import { startPlatform, type Platform } from '../../server/platform.js';
import { createTestDatabase, serverUrls, uid } from './env.js';
import { deleteRedisPrefix } from './scratch.js';

export interface TestPlatform extends Platform {
  config: Config;
  baseUrl: string;
  dbName: string;
  adminPassword: string;
  /** Stops the platform, drops its database and deletes its Redis keys. */
  close(): Promise<void>;
}

export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

export async function startTestPlatform(
  env: Record<string, string> = {},
  opts: { log?: Logger; mysqlServerUrl?: string; redisUrl?: string } = {},
): Promise<TestPlatform> {
  const db = await createTestDatabase(opts.mysqlServerUrl);
  const redisUrl = opts.redisUrl ?? serverUrls().redisUrl;
  const prefix = `t${uid()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HTTP_PORT: '0',
    MQTT_TCP_PORT: '0',
    MQTT_TLS_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_WSS_PORT: '0',
    DEMO: 'false',
    REDIS_PREFIX: prefix,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    // Tests read English unless they ask for another language (the product's default is zh-CN).
    DEFAULT_LOCALE: 'en',
    MYSQL_URL: db.url,
    REDIS_URL: redisUrl,
    ...env,
  });
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const platform = await startPlatform({
    config,
    log,
    mysqlUrl: db.url,
    redisUrl,
    sessionSecret: 'test-session-secret-0123456789abcdef',
  });
  return {
    ...platform,
    config,
    baseUrl: `http://127.0.0.1:${platform.httpPort}`,
    dbName: db.name,
    adminPassword: TEST_ADMIN_PASSWORD,
    close: async () => {
      await platform.stop();
      await db.drop();
      await deleteRedisPrefix(redisUrl, prefix);
    },
  };
}
