// Per-test-file resources on the shared servers: a fresh database, a unique Redis prefix.
import crypto from 'node:crypto';
import { inject } from 'vitest';
import { createScratchDatabase } from './scratch.js';

export const uid = (n = 6) => crypto.randomBytes(n).toString('hex');

export function serverUrls() {
  return { mysqlUrl: inject('mysqlUrl'), redisUrl: inject('redisUrl') };
}

/** Creates an empty database and returns its URL and a drop function. */
export function createTestDatabase(serverUrl = serverUrls().mysqlUrl) {
  return createScratchDatabase(serverUrl, `esl_t_${uid()}`);
}
