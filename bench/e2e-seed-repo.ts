// Seeding and raw-floor SQL of the end-to-end benchmark.
import type { Queryable } from '../server/db/pool.js';
import { execute, queryRows, querySingle } from '../server/db/query.js';

/** Products shared by all stores; returns their ids. */
export async function insertProducts(db: Queryable, n: number, tag: string): Promise<number[]> {
  const r = await execute(db, 'INSERT INTO products (sku, name) VALUES ?', [
    Array.from({ length: n }, (_, i) => [`B${tag}-${i}`, `Bench product ${i}`]),
  ]);
  return Array.from({ length: n }, (_, i) => r.insertId + i);
}

/** A store on a Group ID with every product priced and `labelsPerProduct` labels per product. */
export async function insertStore(
  db: Queryable,
  code: string,
  groupId: string,
  productIds: number[],
  labelsPerProduct: number,
): Promise<number> {
  const s = await execute(db, 'INSERT INTO stores (code, name) VALUES (?, ?)', [code, `Bench ${code}`]);
  await execute(db, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?)', [groupId, s.insertId]);
  await execute(db, 'INSERT INTO prices (store_id, product_id, price) VALUES ?', [
    productIds.map((p) => [s.insertId, p, '10.00']),
  ]);
  const labels: unknown[][] = [];
  for (const p of productIds)
    for (let k = 0; k < labelsPerProduct; k++) labels.push([`${code}-${p}-${k}`, s.insertId, groupId, p]);
  await execute(db, 'INSERT INTO labels (label_id, store_id, group_id, product_id) VALUES ?', [labels]);
  return s.insertId;
}

export async function countReportedLabels(db: Queryable): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    'SELECT COUNT(*) AS n FROM labels WHERE last_ap_client_id IS NOT NULL',
  );
  return Number(r.n);
}

/** Items still open; cheap near the end, unlike counting the confirmed ones (the poll must not load MySQL). */
export async function countOpen(db: Queryable, taskId: string): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    "SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state IN ('pending', 'sent', 'failed')",
    [taskId],
  );
  return Number(r.n);
}

export async function taskState(db: Queryable, taskId: string): Promise<string> {
  const r = await querySingle<{ state: string }>(db, 'SELECT state FROM tasks WHERE id = ?', [taskId]);
  return r.state;
}

export async function countConfirmed(db: Queryable, taskId: string): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    "SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state = 'confirmed'",
    [taskId],
  );
  return Number(r.n);
}

export async function bumpAllPrices(db: Queryable): Promise<{ storeId: number; productId: number }[]> {
  await execute(db, 'UPDATE prices SET price = price + 0.10');
  const rows = await queryRows<{ storeId: number; productId: number }>(
    db,
    'SELECT store_id AS storeId, product_id AS productId FROM prices',
  );
  return rows;
}

/** The raw floor: the same rows in a copy of task_items, inserted then confirmed in batches. */
export async function rawFloor(
  db: Queryable,
  n: number,
  insertBatch: number,
  confirmBatch: number,
): Promise<{ insertMs: number; confirmMs: number }> {
  await execute(db, 'DROP TABLE IF EXISTS bench_raw_items');
  await execute(db, 'CREATE TABLE bench_raw_items LIKE task_items');
  const t0 = performance.now();
  for (let i = 0; i < n; i += insertBatch) {
    const rows = Array.from({ length: Math.min(insertBatch, n - i) }, (_, k) => [
      1,
      `RAW-${i + k}`,
      1,
      'GID_RAW',
      1,
      'SKU',
      'Raw product',
      '10.10',
      null,
      'CNY',
      'a'.repeat(64),
    ]);
    await execute(
      db,
      'INSERT INTO bench_raw_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, promo_price, currency, content_hash) VALUES ?',
      [rows],
    );
  }
  const t1 = performance.now();
  const { lo } = await querySingle<{ lo: string }>(db, 'SELECT MIN(id) AS lo FROM bench_raw_items');
  for (let i = 0; i < n; i += confirmBatch) {
    const ids = Array.from({ length: Math.min(confirmBatch, n - i) }, (_, k) => Number(lo) + i + k);
    await execute(
      db,
      "UPDATE bench_raw_items SET state = 'confirmed', confirmed_by = 'GID_RAW@@@AP', confirmed_at = NOW(3) WHERE id IN (?) AND state <> 'confirmed'",
      [ids],
    );
  }
  const t2 = performance.now();
  await execute(db, 'DROP TABLE bench_raw_items');
  return { insertMs: t1 - t0, confirmMs: t2 - t1 };
}

/** Data + index bytes of the benchmark's database (information_schema, after ANALYZE: InnoDB's figures are estimates it refreshes). */
export async function databaseBytes(db: Queryable): Promise<number> {
  const tables = await queryRows<{ t: string }>(
    db,
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
  );
  for (const { t } of tables) await execute(db, `ANALYZE TABLE \`${t}\``);
  const r = await querySingle<{ n: string | null }>(
    db,
    'SELECT SUM(data_length + index_length) AS n FROM information_schema.tables WHERE table_schema = DATABASE()',
  );
  return Number(r.n ?? 0);
}

export interface DigestRow {
  digest: string;
  text: string;
  calls: number;
  ms: number;
  rowsExamined: number;
  rowsAffected: number;
}

/** The statement digests of performance_schema (empty when it is off or not readable). */
export async function statementDigests(db: Queryable): Promise<Map<string, DigestRow>> {
  try {
    const rows = await queryRows<{
      digest: string;
      text: string;
      calls: string;
      ps: string;
      ex: string;
      af: string;
    }>(
      db,
      `SELECT COALESCE(digest, '') AS digest, LEFT(COALESCE(digest_text, ''), 160) AS text, count_star AS calls,
         sum_timer_wait AS ps, sum_rows_examined AS ex, sum_rows_affected AS af
       FROM performance_schema.events_statements_summary_by_digest WHERE schema_name = DATABASE()`,
    );
    return new Map(
      rows.map((r) => [
        r.digest,
        {
          digest: r.digest,
          text: r.text,
          calls: Number(r.calls),
          ms: Number(r.ps) / 1e9,
          rowsExamined: Number(r.ex),
          rowsAffected: Number(r.af),
        },
      ]),
    );
  } catch {
    return new Map();
  }
}
