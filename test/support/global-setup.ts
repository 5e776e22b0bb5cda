// Starts (or reuses) the embedded MariaDB and Redis once for the whole run and hands
// their URLs to the test files. Each file then makes its own database and Redis prefix.
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../server/config.js';
import { startEmbeddedServices } from '../../server/embedded/embedded-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = path.join(PROJECT_ROOT, '.data');
  const { mysqlUrl, redisUrl } = await startEmbeddedServices(dataDir, (m) => process.stdout.write(`[services] ${m}\n`));
  project.provide('mysqlUrl', mysqlUrl);
  project.provide('redisUrl', redisUrl);
}
