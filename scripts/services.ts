// npm run services:start | services:stop — the embedded MariaDB and Redis on their own.
import { loadConfig } from '../server/config.js';
import { startEmbeddedServices, stopEmbeddedServices } from '../server/embedded/embedded-services.js';

const cmd = process.argv[2];
const config = loadConfig();
const log = (m: string) => process.stdout.write(`${m}\n`);
if (cmd === 'start') {
  const u = await startEmbeddedServices(config.DATA_DIR, log);
  log(
    `MariaDB 127.0.0.1:${u.state.mysqlPort}, Redis 127.0.0.1:${u.state.redisPort} (credentials in ${config.DATA_DIR}/embedded.json)`,
  );
} else if (cmd === 'stop') {
  await stopEmbeddedServices(config.DATA_DIR, log);
  log('embedded services stopped');
} else {
  process.stderr.write('usage: services.ts start|stop\n');
  process.exit(2);
}
