// Per-test-file resources on the shared servers: a fresh database, a unique Redis prefix.
import crypto from 'node:crypto';
import { inject } from 'vitest';
import { migrate } from '../../server/db/migrate.js';
import { createPool, type Pool } from '../../server/db/pool.js';
import { createScratchDatabase } from './scratch.js';

export const uid = (n = 6) => crypto.randomBytes(n).toString('hex');

export function serverUrls() {
  return { mysqlUrl: inject('mysqlUrl'), redisUrl: inject('redisUrl') };
}

/** Creates an empty database and returns its URL and a drop function. */
export function createTestDatabase(serverUrl = serverUrls().mysqlUrl) {
  return createScratchDatabase(serverUrl, `esl_t_${uid()}`);
}

/** A fresh database with every migration applied and a pool on it; `drop()` ends the pool and removes the database. */
export async function migratedDatabase(
  connectionLimit = 10,
): Promise<{ pool: Pool; url: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase();
  await migrate(db.url);
  const pool = createPool(db.url, connectionLimit);
  return {
    pool,
    url: db.url,
    drop: async () => {
      await pool.end();
      await db.drop();
    },
  };
}
