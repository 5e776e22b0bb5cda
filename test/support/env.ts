// Per-test-file resources on the shared servers: a fresh database, a unique Redis prefix.
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';

export const uid = (n = 6) => crypto.randomBytes(n).toString('hex');

export function serverUrls() {
  return { mysqlUrl: inject('mysqlUrl'), redisUrl: inject('redisUrl') };
}

/** Creates an empty database and returns its URL and a drop function. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const { mysqlUrl } = serverUrls();
  const name = `esl_t_${uid()}`;
  const admin = await mysql.createConnection({ uri: mysqlUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const u = new URL(mysqlUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = await mysql.createConnection({ uri: mysqlUrl });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
