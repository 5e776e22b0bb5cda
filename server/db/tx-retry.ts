// InnoDB may pick a transaction as a deadlock victim when batches from several workers
// touch the same rows; the whole transaction is then safe to run again.
import { withTx, type Conn, type Pool } from './pool.js';

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export async function withTxRetry<T>(pool: Pool, fn: (conn: Conn) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await withTx(pool, fn);
    } catch (err) {
      if (i >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 20 * i + Math.random() * 30));
    }
  }
}
