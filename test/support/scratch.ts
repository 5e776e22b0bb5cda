// Throw-away resources on the shared MariaDB and Redis, for tests and benchmarks alike
// (no vitest here, so the benchmarks can use it too), and stopping a child process.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { execute } from '../../server/db/query.js';

/** Creates an empty database on the server of `serverUrl`; returns its URL and a drop function. */
export async function createScratchDatabase(
  serverUrl: string,
  name: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const admin = await mysql.createConnection({ uri: serverUrl });
  await execute(admin, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = await mysql.createConnection({ uri: serverUrl });
      await execute(c, `DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** Deletes every key under `prefix:`. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string) {
  const r = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopChild(proc: ChildProcess, graceMs = 15_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const hard = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}
