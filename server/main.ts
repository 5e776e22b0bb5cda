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

  const platform = await startPlatform({ config, log, mysqlUrl, redisUrl, sessionSecret });
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

main().catch((err) => {
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
