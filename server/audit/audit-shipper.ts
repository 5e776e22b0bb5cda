// Ships the audit trail from MySQL (the outbox) to SLS, in id order, at least once.
// One batch = one transaction: lock the bookmark, read the records after it, PutLogs,
// move the bookmark, commit. If the process dies between PutLogs and the commit, the
// bookmark did not move and the batch is sent again: a duplicate, recognisable by its
// record id and hash, never a gap. A failed PutLogs is retried with capped backoff for
// as long as SLS is away; nothing is dropped, because nothing leaves MySQL.
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import type { AuditRecord } from './audit-chain.js';
import { readAuditAfter } from './audit-repo.js';
import { lockShipState, markShipped, recordShipError } from './audit-ship-repo.js';

/** Where shipped records go: SlsAuditClient in production. put() resolves only once they are stored. */
export interface AuditSink {
  put(records: AuditRecord[]): Promise<void>;
  /** Cuts a put in flight (it then fails); used when stopping must not wait for a slow SLS. */
  abort?(): void;
}

export interface ShipperOptions {
  /** Records per PutLogs call (SLS takes up to 4096 logs per group). */
  batch: number;
  /** Idle poll interval, and the first retry delay after a failure. */
  intervalMs: number;
  /** Retry delays double up to this. */
  backoffMaxMs: number;
  /** Keeps a log group well under SLS's body limit when records carry large before/after. */
  maxBatchBytes?: number;
  /** How long stop() lets a PutLogs in flight finish before cutting it (default 2000 ms). */
  stopGraceMs?: number;
}

export type ShipResult =
  { kind: 'shipped'; count: number; lastId: string } | { kind: 'idle' } | { kind: 'busy' };

export class AuditShipper implements Service {
  readonly name = 'audit-shipper';
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** Consecutive failed attempts; the backoff grows with it. */
  failures = 0;

  constructor(
    private readonly pool: Pool,
    private readonly sink: AuditSink,
    private readonly log: Logger,
    private readonly opts: ShipperOptions,
  ) {}

  async start() {
    this.stopping = false;
    this.running = this.loop();
  }

  async stop() {
    this.stopping = true;
    this.wake?.();
    const running = this.running;
    if (!running) return;
    // A cut PutLogs rolls its batch back; it goes again (a recognisable duplicate) on the next start.
    const cut = setTimeout(() => this.sink.abort?.(), this.opts.stopGraceMs ?? 2000);
    await running;
    clearTimeout(cut);
    this.running = null;
  }

  /** Delay before the next attempt after `failures` consecutive failures. */
  backoffMs(failures: number) {
    return Math.min(this.opts.backoffMaxMs, this.opts.intervalMs * 2 ** Math.min(failures - 1, 30));
  }

  private async loop() {
    while (!this.stopping) {
      let delay = this.opts.intervalMs;
      try {
        const r = await this.shipOnce();
        if (this.failures > 0 && r.kind === 'shipped')
          this.log.info({ after: this.failures }, 'audit shipping recovered');
        this.failures = 0;
        if (r.kind === 'shipped' && r.count >= this.opts.batch) delay = 0;
      } catch (err) {
        this.failures++;
        delay = this.backoffMs(this.failures);
        this.log.warn(
          {
            err: { message: (err as Error).message, code: (err as { code?: string }).code },
            failures: this.failures,
            retryInMs: delay,
          },
          'audit shipping failed',
        );
      }
      if (delay > 0 && !this.stopping) await this.sleep(delay);
    }
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }

  /** One batch, or nothing to do, or another process is shipping. Throws when SLS or MySQL fails. */
  async shipOnce(): Promise<ShipResult> {
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      const state = await lockShipState(conn);
      if (!state) {
        await conn.commit();
        return { kind: 'busy' };
      }
      const records = this.trim(await readAuditAfter(conn, state.shippedId, this.opts.batch));
      if (records.length === 0) {
        await conn.commit();
        return { kind: 'idle' };
      }
      if (BigInt(records[0].id) !== BigInt(state.shippedId) + 1n) {
        // Ids are gapless by construction; a hole means rows were deleted behind the platform's back.
        this.log.error(
          { shippedId: state.shippedId, next: records[0].id },
          'audit trail has a gap; shipping what exists (run the chain check)',
        );
      }
      try {
        await this.sink.put(records);
      } catch (err) {
        await recordShipError(conn, (err as Error).message);
        await conn.commit();
        throw err;
      }
      const lastId = records[records.length - 1].id;
      if (!(await markShipped(conn, state.shippedId, lastId)))
        throw new Error('audit_ship_state moved under the row lock');
      await conn.commit();
      return { kind: 'shipped', count: records.length, lastId };
    } catch (err) {
      await conn.rollback().catch(() => {});
      throw err;
    } finally {
      conn.release();
    }
  }

  private trim(records: AuditRecord[]): AuditRecord[] {
    const max = this.opts.maxBatchBytes ?? 2 * 1024 * 1024;
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      bytes +=
        (records[i].before?.length ?? 0) + (records[i].after?.length ?? 0) + records[i].summary.length + 512;
      if (bytes > max && i > 0) return records.slice(0, i);
    }
    return records;
  }
}
