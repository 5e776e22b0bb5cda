// Applies migrations/NNN_name.sql in order and records each with its checksum.
// A landed migration that was edited afterwards is refused: write a new one instead.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { PROJECT_ROOT } from '../config.js';
import type { Queryable } from './pool.js';
import { execute, queryRows, querySingle } from './query.js';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const seen = new Set<number>();
  return files.map((f) => {
    const version = Number(f.split('_')[0]);
    if (seen.has(version)) throw new MigrationError(`two migrations share version ${version} (${f})`);
    seen.add(version);
    const sql = fs.readFileSync(path.join(dir, f), 'utf8');
    return { version, name: f, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
  });
}

/** Splits on semicolons that end a line; migrations hold plain DDL/DML, no procedures. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

/** Runs pending migrations under a server-side lock, so concurrent starts don't race. */
export async function migrate(url: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const all = readMigrations(dir);
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z' });
  try {
    const lock = await querySingle<{ ok: number }>(conn, "SELECT GET_LOCK('esl_migrate', 60) AS ok");
    if (lock.ok !== 1) throw new MigrationError('could not take the migration lock within 60 s');
    await execute(
      conn,
      `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT NOT NULL PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    const rows = await queryRows<{ version: number; name: string; checksum: string }>(
      conn,
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const m of all) {
      const d = done.get(m.version);
      if (d && d.checksum !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was edited after it was applied (checksum ${d.checksum.slice(0, 12)} in the database, ` +
            `${m.checksum.slice(0, 12)} on disk). Landed migrations are never edited: restore it and add a new migration.`,
        );
      }
    }
    const known = new Set(all.map((m) => m.version));
    const unknown = rows.filter((r) => !known.has(r.version));
    if (unknown.length) {
      throw new MigrationError(
        `the database has migrations this code does not know: ${unknown.map((r) => r.name).join(', ')}`,
      );
    }
    const applied: string[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      for (const stmt of splitStatements(m.sql)) {
        try {
          await execute(conn, stmt);
        } catch (err) {
          throw new MigrationError(
            `${m.name} failed: ${(err as Error).message}\n  in: ${stmt.slice(0, 200)}`,
          );
        }
      }
      await execute(conn, 'INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      applied.push(m.name);
    }
    return { applied, current: all.length ? all[all.length - 1].version : 0 };
  } finally {
    await queryRows(conn, "SELECT RELEASE_LOCK('esl_migrate') AS released").catch(() => {});
    await conn.end();
  }
}

/** True when every migration on disk is applied with its checksum (for /readyz). */
export async function migrationsApplied(db: Queryable, dir = MIGRATIONS_DIR): Promise<boolean> {
  const all = readMigrations(dir);
  const rows = await queryRows<{ version: number; checksum: string }>(
    db,
    'SELECT version, checksum FROM schema_migrations',
  );
  const done = new Map(rows.map((r) => [r.version, r.checksum]));
  return all.every((m) => done.get(m.version) === m.checksum);
}
