// npm run migrate — applies pending migrations to MYSQL_URL or the embedded MariaDB.
import { loadConfig } from '../server/config.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { migrate } from '../server/db/migrate.js';

const config = loadConfig();
const url =
  config.MYSQL_URL ??
  (await startEmbeddedServices(config.DATA_DIR, (m) => process.stdout.write(`${m}\n`))).mysqlUrl;
try {
  const r = await migrate(url);
  process.stdout.write(
    r.applied.length ? `applied: ${r.applied.join(', ')}\n` : `up to date (version ${r.current})\n`,
  );
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
