import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
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
  applied_by: string | null;
  applied_count: number | null;
  scheduled_count: number | null;
  label_count: number | null;
}

export type ImportSummary = Omit<ImportRow, 'rows_json' | 'content_hash'>;

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

/** What a confirmed import did, written in its confirming transaction. */
export async function recordImportOutcome(
  db: Queryable,
  id: string,
  o: { by: string; applied: number; scheduled: number; labels: number },
) {
  await execute(
    db,
    'UPDATE price_imports SET applied_by = ?, applied_count = ?, scheduled_count = ?, label_count = ? WHERE id = ?',
    [o.by.slice(0, 128), o.applied, o.scheduled, o.labels, id],
  );
}

/** Imports newest first (the pending ones of the last day too), a page at a time. */
export async function listImports(
  db: Queryable,
  page: { limit: number; offset: number },
): Promise<{ rows: ImportSummary[]; total: number }> {
  const rows = await queryRows<ImportSummary>(
    db,
    `SELECT id, state, file_name, row_count, task_id, created_by, source_encoding, created_at, applied_at,
            applied_by, applied_count, scheduled_count, label_count
       FROM price_imports ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
    [page.limit, page.offset],
  );
  const c = await querySingle<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM price_imports', []);
  return { rows, total: Number(c.n) };
}

/** Unconfirmed imports are kept for a day, then forgotten. */
export async function purgeStaleImports(db: Queryable) {
  await execute(
    db,
    "DELETE FROM price_imports WHERE state = 'pending' AND created_at < NOW(3) - INTERVAL 1 DAY",
  );
}
