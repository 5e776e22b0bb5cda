// SQL of the shipper's bookmark (audit_ship_state, one row). The row lock taken by
// lockShipState is what makes one shipper at a time across processes: a second shipper
// skips the locked row instead of waiting, and the lock dies with the holder's connection.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows, querySingle } from '../db/query.js';

/** Locks the bookmark for this transaction; null when another shipper holds it. */
export async function lockShipState(conn: Queryable): Promise<{ shippedId: string } | null> {
  const rows = await queryRows<{ shipped_id: string }>(
    conn,
    'SELECT shipped_id FROM audit_ship_state WHERE id = 1 FOR UPDATE SKIP LOCKED',
  );
  return rows.length ? { shippedId: String(rows[0].shipped_id) } : null;
}

/** Moves the bookmark from `from` to `to`; false if someone else moved it (it never goes back). */
export async function markShipped(conn: Queryable, from: string, to: string): Promise<boolean> {
  const res = await execute(
    conn,
    'UPDATE audit_ship_state SET shipped_id = ?, last_error = NULL, last_error_at = NULL WHERE id = 1 AND shipped_id = ?',
    [to, from],
  );
  return res.affectedRows === 1;
}

export async function recordShipError(conn: Queryable, message: string): Promise<void> {
  await execute(
    conn,
    'UPDATE audit_ship_state SET last_error = ?, last_error_at = CURRENT_TIMESTAMP(3) WHERE id = 1',
    [message.slice(0, 1024)],
  );
}

export interface ShipStatus {
  shippedId: string;
  lastId: string;
  lastError: string | null;
  lastErrorAt: Date | null;
}

export async function readShipStatus(db: Queryable): Promise<ShipStatus> {
  const row = await querySingle<{
    shipped_id: string;
    last_error: string | null;
    last_error_at: Date | null;
    last_id: string;
  }>(
    db,
    `SELECT s.shipped_id, s.last_error, s.last_error_at, h.last_id
       FROM audit_ship_state s JOIN audit_chain_head h ON h.id = 1 WHERE s.id = 1`,
  );
  return {
    shippedId: String(row.shipped_id),
    lastId: String(row.last_id),
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
  };
}
