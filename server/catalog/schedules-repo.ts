import type { Queryable } from '../db/pool.js';
import type { Pair } from './prices-repo.js';
import type { ScheduleKind, ScheduleState } from './states.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';

export type { ScheduleKind } from './states.js';

export interface ScheduleRow {
  id: string;
  kind: ScheduleKind;
  store_id: number;
  product_id: number;
  price: string | null;
  promo_price: string | null;
  promo_from: Date | null;
  promo_to: Date | null;
  effective_at: Date;
  state: ScheduleState;
  task_id: string | null;
  source: string;
  note: string;
  error: string | null;
  created_by: string;
  created_at: Date;
  applied_at: Date | null;
  urgent: number;
}

export interface NewSchedule extends Pair {
  kind: ScheduleKind;
  price: string | null;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
  effectiveAt: Date;
  source: string;
  note: string;
  createdBy: string;
  urgent?: boolean;
}

export async function insertSchedules(db: Queryable, rows: NewSchedule[]): Promise<string[]> {
  const ids: string[] = [];
  // One statement per row: the ids are wanted back and batches here are small.
  for (const r of rows) {
    const res = await execute(
      db,
      `INSERT INTO price_schedules (kind, store_id, product_id, price, promo_price, promo_from, promo_to, effective_at, source, note, created_by, urgent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.kind,
        r.storeId,
        r.productId,
        r.price,
        r.promoPrice,
        r.promoFrom,
        r.promoTo,
        r.effectiveAt,
        r.source,
        r.note.slice(0, 255),
        r.createdBy.slice(0, 128),
        r.urgent ? 1 : 0,
      ],
    );
    ids.push(String(res.insertId));
  }
  return ids;
}

/** Pending promotion starts/ends of these pairs are superseded by a new price state. */
export async function cancelPromoSchedules(db: Queryable, pairs: Pair[]) {
  for (let i = 0; i < pairs.length; i += 500) {
    await execute(
      db,
      `UPDATE price_schedules SET state = 'cancelled', error = 'superseded by a later price change'
        WHERE state = 'pending' AND kind IN ('promo_start', 'promo_end') AND (store_id, product_id) IN (?)`,
      [pairs.slice(i, i + 500).map((p) => [p.storeId, p.productId])],
    );
  }
}

/**
 * The next due schedule, locked. SKIP LOCKED lets several workers run this at once:
 * each gets a different row, and a row being applied elsewhere is invisible here.
 */
export async function claimDue(db: Queryable, now: Date): Promise<ScheduleRow | null> {
  return queryOne<ScheduleRow>(
    db,
    `SELECT * FROM price_schedules WHERE state = 'pending' AND effective_at <= ? ORDER BY effective_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [now],
  );
}

export async function markApplied(db: Queryable, id: string, taskId: string | null, note?: string) {
  await execute(
    db,
    `UPDATE price_schedules SET state = 'applied', task_id = ?, applied_at = CURRENT_TIMESTAMP(3), error = ? WHERE id = ? AND state = 'pending'`,
    [taskId, note ?? null, id],
  );
}

export async function markFailed(db: Queryable, id: string, error: string) {
  await execute(
    db,
    `UPDATE price_schedules SET state = 'failed', error = ? WHERE id = ? AND state = 'pending'`,
    [error.slice(0, 255), id],
  );
}

export async function findSchedule(db: Queryable, id: string): Promise<ScheduleRow | null> {
  return queryOne<ScheduleRow>(db, 'SELECT * FROM price_schedules WHERE id = ? FOR UPDATE', [id]);
}

export async function cancelSchedule(db: Queryable, id: string) {
  await execute(db, `UPDATE price_schedules SET state = 'cancelled' WHERE id = ? AND state = 'pending'`, [
    id,
  ]);
}

export interface ScheduleFilter {
  state?: string;
  productId?: number;
  storeId?: number | null;
  /** Store ids of the reader's scope; null = every store. */
  scope?: readonly number[] | null;
}

function scheduleWhere(opts: ScheduleFilter) {
  const where: string[] = ['TRUE'];
  const args: unknown[] = [];
  if (opts.state) {
    where.push('ps.state = ?');
    args.push(opts.state);
  }
  if (opts.productId) {
    where.push('ps.product_id = ?');
    args.push(opts.productId);
  }
  if (opts.storeId) {
    where.push('ps.store_id = ?');
    args.push(opts.storeId);
  }
  const f = storeScopeSql('ps.store_id', opts.scope);
  return { sql: `WHERE ${where.join(' AND ')}${f.sql}`, args: [...args, ...f.params] };
}

export async function listSchedules(
  db: Queryable,
  opts: ScheduleFilter & { limit: number; offset?: number },
) {
  const w = scheduleWhere(opts);
  return queryRows<
    ScheduleRow & { store_code: string; store_name: string; store_timezone: string; sku: string }
  >(
    db,
    `SELECT ps.*, s.code AS store_code, s.name AS store_name, s.timezone AS store_timezone, p.sku FROM price_schedules ps JOIN stores s ON s.id = ps.store_id
       JOIN products p ON p.id = ps.product_id ${w.sql}
      ORDER BY ps.state = 'pending' DESC, ps.effective_at DESC, ps.id DESC LIMIT ? OFFSET ?`,
    [...w.args, opts.limit, opts.offset ?? 0],
  );
}

export async function countSchedules(db: Queryable, opts: ScheduleFilter): Promise<number> {
  const w = scheduleWhere(opts);
  const r = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(*) AS n FROM price_schedules ps ${w.sql}`,
    w.args,
  );
  return Number(r.n);
}

export async function cancelPromoEnd(db: Queryable, pair: Pair, promoTo: Date) {
  await execute(
    db,
    `UPDATE price_schedules SET state = 'cancelled', error = 'its promotion was cancelled'
      WHERE state = 'pending' AND kind = 'promo_end' AND store_id = ? AND product_id = ? AND promo_to = ?`,
    [pair.storeId, pair.productId, promoTo],
  );
}
