// SQL of the idempotency keys (migrations/011_integration.sql).
import type { Queryable } from '../db/pool.js';
import { execute, queryOne } from '../db/query.js';

/** A claim is `pending` until its response is stored, then `done` (the CHECK constraint holds the same list). */
export const IDEMPOTENCY_STATES = ['pending', 'done'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

export interface IdempotencyRow {
  request_hash: string;
  method: string;
  path: string;
  state: IdempotencyState;
  status: number | null;
  response: string | null;
  locked: 0 | 1;
  expired: 0 | 1;
}

export interface IdempotencyClaim {
  scope: string;
  key: string;
  requestHash: string;
  method: string;
  path: string;
  lockSeconds: number;
  ttlSeconds: number;
}

/** Claims a new key; false when a row for (scope, key) exists. */
export async function insertClaim(db: Queryable, c: IdempotencyClaim): Promise<boolean> {
  const r = await execute(
    db,
    `INSERT IGNORE INTO idempotency_keys (scope, idem_key, request_hash, method, path, state, locked_until, expires_at)
     VALUES (?, ?, ?, ?, ?, 'pending', NOW(3) + INTERVAL ? SECOND, NOW(3) + INTERVAL ? SECOND)`,
    [c.scope, c.key, c.requestHash, c.method, c.path, c.lockSeconds, c.ttlSeconds],
  );
  return r.affectedRows === 1;
}

/**
 * Takes over a row nobody will finish: expired (older than its time to live), or pending past
 * its lock (the process that claimed it died). Conditional, so of two takers only one wins.
 */
export async function takeOverStale(db: Queryable, c: IdempotencyClaim): Promise<boolean> {
  const r = await execute(
    db,
    `UPDATE idempotency_keys
        SET request_hash = ?, method = ?, path = ?, state = 'pending', status = NULL, response = NULL,
            created_at = NOW(3), completed_at = NULL,
            locked_until = NOW(3) + INTERVAL ? SECOND, expires_at = NOW(3) + INTERVAL ? SECOND
      WHERE scope = ? AND idem_key = ?
        AND (expires_at <= NOW(3) OR (state = 'pending' AND locked_until <= NOW(3)))`,
    [c.requestHash, c.method, c.path, c.lockSeconds, c.ttlSeconds, c.scope, c.key],
  );
  return r.affectedRows === 1;
}

export async function findKey(db: Queryable, scope: string, key: string): Promise<IdempotencyRow | null> {
  return queryOne<IdempotencyRow>(
    db,
    `SELECT request_hash, method, path, state, status, response,
            (locked_until > NOW(3)) AS locked, (expires_at <= NOW(3)) AS expired
       FROM idempotency_keys WHERE scope = ? AND idem_key = ?`,
    [scope, key],
  );
}

/** Stores the response of the claiming request (only while it is still its claim). */
export async function completeKey(
  db: Queryable,
  scope: string,
  key: string,
  requestHash: string,
  status: number,
  response: string,
): Promise<void> {
  await execute(
    db,
    `UPDATE idempotency_keys SET state = 'done', status = ?, response = ?, completed_at = NOW(3)
      WHERE scope = ? AND idem_key = ? AND request_hash = ? AND state = 'pending'`,
    [status, response, scope, key, requestHash],
  );
}

/** Gives a claim back (the request failed on our side, or was refused before any work). */
export async function releaseKey(db: Queryable, scope: string, key: string, requestHash: string) {
  await execute(
    db,
    `DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND request_hash = ? AND state = 'pending'`,
    [scope, key, requestHash],
  );
}

export async function deleteExpired(db: Queryable, limit: number): Promise<number> {
  const r = await execute(db, `DELETE FROM idempotency_keys WHERE expires_at <= NOW(3) LIMIT ?`, [limit]);
  return r.affectedRows;
}
