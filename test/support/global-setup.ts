// Starts (or reuses) the embedded MariaDB and Redis once for the whole run and hands
// their URLs to the test files. Each file then makes its own database and Redis prefix.
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../server/config.js';
import { ensurePackages, startEmbeddedServices } from '../../server/embedded/embedded-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = path.join(PROJECT_ROOT, '.data');
  const log = (m: string) => process.stdout.write(`[services] ${m}\n`);
  // Besides MariaDB and Redis: Debian's Chromium and a CJK font for browser tests, Mosquitto as a third-party broker and clients.
  ensurePackages(
    [
      { pkg: 'chromium', bins: ['/usr/bin/chromium'] },
      { pkg: 'mosquitto', bins: ['/usr/sbin/mosquitto'] },
      { pkg: 'mosquitto-clients', bins: ['/usr/bin/mosquitto_pub', '/usr/bin/mosquitto_sub'] },
      // Chinese pages in the browser tests and screenshots (else every character is a box).
      { pkg: 'fonts-noto-cjk', bins: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'] },
    ],
    log,
  );
  const { mysqlUrl, redisUrl } = await startEmbeddedServices(dataDir, log);
  project.provide('mysqlUrl', mysqlUrl);
  project.provide('redisUrl', redisUrl);
}
