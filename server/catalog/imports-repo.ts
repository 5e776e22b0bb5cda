import type { Queryable } from '../db/pool.js';
import { execute, queryOne } from '../db/query.js';
import type { ImportState } from './states.js';

export interface ImportRow {
  id: string;
  content_hash: string;
  state: ImportState;
  file_name: string;
  row_count: number;
  rows_json: string;
  task_id: string | null;
  created_by: string;
  /** The encoding an uploaded file was read in; null for pasted text. */
  source_encoding: string | null;
  created_at: Date;
  applied_at: Date | null;
}

export async function insertImport(
  db: Queryable,
  r: {
    id: string;
    hash: string;
    fileName: string;
    rowCount: number;
    rowsJson: string;
    createdBy: string;
    encoding: string | null;
  },
) {
  await execute(
    db,
    'INSERT INTO price_imports (id, content_hash, file_name, row_count, rows_json, created_by, source_encoding) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [r.id, r.hash, r.fileName.slice(0, 255), r.rowCount, r.rowsJson, r.createdBy.slice(0, 128), r.encoding],
  );
}

export async function findImport(db: Queryable, id: string, lock = false): Promise<ImportRow | null> {
  return queryOne<ImportRow>(db, `SELECT * FROM price_imports WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
}

export async function markImportApplied(db: Queryable, id: string, taskId: string | null) {
  await execute(
    db,
    "UPDATE price_imports SET state = 'applied', task_id = ?, applied_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
    [taskId, id],
  );
}

/** Unconfirmed imports are kept for a day, then forgotten. */
export async function purgeStaleImports(db: Queryable) {
  await execute(
    db,
    "DELETE FROM price_imports WHERE state = 'pending' AND created_at < NOW(3) - INTERVAL 1 DAY",
  );
}
