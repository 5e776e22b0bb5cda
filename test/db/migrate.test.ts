import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate, readMigrations, splitStatements } from '../../server/db/migrate.js';
import { createTestDatabase } from '../support/env.js';
import { queryRows } from '../../server/db/query.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esl-mig-'));
});
afterAll(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('applies the project migrations in order, once, and records their checksums', async () => {
    const first = await migrate(db.url);
    expect(first.applied).toEqual(readMigrations().map((m) => m.name));
    const again = await migrate(db.url);
    expect(again.applied).toEqual([]);
    const c = await mysql.createConnection({ uri: db.url });
    const rows = await queryRows<{ version: number; checksum: string }>(
      c,
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    await c.end();
    expect(rows.map((r) => r.checksum)).toEqual(readMigrations().map((m) => m.checksum));
  });

  it('refuses a landed migration that was edited afterwards', async () => {
    const own = await createTestDatabase();
    try {
      fs.writeFileSync(path.join(dir, '001_one.sql'), 'CREATE TABLE one (id INT PRIMARY KEY);\n');
      await migrate(own.url, dir);
      fs.writeFileSync(path.join(dir, '001_one.sql'), 'CREATE TABLE one (id BIGINT PRIMARY KEY);\n');
      await expect(migrate(own.url, dir)).rejects.toThrow(/001_one\.sql was edited after it was applied/);
    } finally {
      await own.drop();
    }
  });

  it('splits statements on line-ending semicolons only', () => {
    expect(splitStatements("-- note\nINSERT INTO t VALUES ('a;b');\nSELECT 1;\n")).toEqual([
      "INSERT INTO t VALUES ('a;b')",
      'SELECT 1',
    ]);
  });

  it('keeps every migration file in the NNN_name.sql form', () => {
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((n) => n.endsWith('.sql')))
      expect(f).toMatch(/^\d{3}_[a-z0-9_]+\.sql$/);
  });
});
