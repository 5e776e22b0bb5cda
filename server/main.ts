// Entry point: `npm start`. Reads the config, brings up embedded MariaDB/Redis when
// MYSQL_URL/REDIS_URL are not set, starts the roles asked for, stops on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './core/logger.js';
import { startEmbeddedServices } from './embedded/embedded-services.js';
import { startPlatform } from './platform.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let mysqlUrl = config.MYSQL_URL;
  let redisUrl = config.REDIS_URL;
  let sessionSecret = config.SESSION_SECRET;
  if (!mysqlUrl || !redisUrl) {
    const emb = await startEmbeddedServices(config.DATA_DIR, (msg) => log.info(msg));
    mysqlUrl ??= emb.mysqlUrl;
    redisUrl ??= emb.redisUrl;
    sessionSecret ??= emb.state.sessionSecret;
  }
  if (!sessionSecret) throw new Error('SESSION_SECRET is required with external MYSQL_URL and REDIS_URL');

  const platform = await startWhenReachable(log, () =>
    startPlatform({ config, log, mysqlUrl, redisUrl, sessionSecret }),
  );
  const url =
    config.PUBLIC_URL ??
    `http://${config.HTTP_HOST === '0.0.0.0' ? 'localhost' : config.HTTP_HOST}:${platform.httpPort}`;
  log.info({ roles: config.ROLES, url: platform.httpPort ? url : undefined }, 'platform started');
  if (platform.firstAdmin?.password) {
    // Printed once, to the terminal only (not to the JSON log): the first admin's one-time password.
    process.stdout.write(
      `\n  First admin created. Sign in at ${url}/login as "${platform.firstAdmin.username}" ` +
        `with the one-time password: ${platform.firstAdmin.password}\n  You will be asked to change it.\n\n`,
    );
  } else if (platform.httpPort) {
    process.stdout.write(`\n  ESL platform is up: ${url}\n\n`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const hard = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 2000);
    hard.unref();
    await platform.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** The codes of a MySQL or Redis that cannot be reached (yet): worth waiting for, not a reason to exit. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
]);
const unreachable = (err: unknown) =>
  UNREACHABLE.has(String((err as { code?: unknown }).code)) ||
  (err as Error)?.name === 'MaxRetriesPerRequestError';

/**
 * Starts the platform; while MySQL or Redis cannot be reached (a process started during an
 * outage) it waits and tries again, doubling the pause up to 30 s, instead of exiting.
 */
async function startWhenReachable<T>(
  log: ReturnType<typeof createLogger>,
  start: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!unreachable(err)) throw err;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
      log.warn(
        {
          err: { message: (err as Error).message, code: (err as { code?: string }).code },
          attempt,
          retryInMs: delay,
        },
        'MySQL or Redis unreachable at start-up; waiting for it',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
