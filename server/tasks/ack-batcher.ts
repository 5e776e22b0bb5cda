// Gathers acks from concurrently processed uplink jobs into one transaction. A job's promise
// settles only when its batch has committed, so BullMQ completes the job only after its
// results are in MySQL: a crash before that leaves the job to be processed again.
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import { applyAcks, type AckEntry, type ApplyOutcome } from './ack-applier.js';
import { markAnswered, messagesWithoutPending } from './dispatch-repo.js';

interface Waiting {
  entry: AckEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface AckBatcherOptions {
  /** flush when this many results wait */
  maxResults?: number;
  /** or when the oldest has waited this long */
  maxWaitMs?: number;
  /** batches applied at once (each its own transaction) */
  maxConcurrent?: number;
  /** retry delay of an item answered `failed` (TASK_FAILED_RETRY_MS) */
  failedRetryMs?: number;
}

export class AckBatcher {
  private waiting: Waiting[] = [];
  private results = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly onApplied: (o: ApplyOutcome) => Promise<void>,
    private readonly opts: AckBatcherOptions = {},
  ) {}

  add(entry: AckEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      this.results += entry.results.length;
      if (this.results >= (this.opts.maxResults ?? 5000)) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.maxWaitMs ?? 15);
    });
  }

  private kick() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Two batches at a time by default: the next one is read and locked while the previous one
    // commits, so MariaDB never idles between batches. Items are locked in id order in every
    // batch, so overlapping batches wait for each other rather than deadlock (and a deadlock on
    // another table is retried whole by withTxRetry). The first ok still wins: a later batch
    // reads the items' committed state under its lock.
    if (this.running.size >= (this.opts.maxConcurrent ?? 2) || !this.waiting.length) return;
    // A second batch only for a backlog: a handful of acks waits for the running batch to end
    // (which kicks again), so batches stay large and their per-batch queries few.
    if (this.running.size && this.results < (this.opts.maxResults ?? 5000) / 5) return;
    const batch = this.waiting;
    this.waiting = [];
    this.results = 0;
    const p: Promise<void> = this.flush(batch).finally(() => {
      this.running.delete(p);
      if (this.waiting.length) this.kick();
    });
    this.running.add(p);
  }

  private async flush(batch: Waiting[]) {
    let outcome: ApplyOutcome;
    const t0 = performance.now();
    try {
      outcome = await applyAcks(
        this.pool,
        batch.map((w) => w.entry),
        { failedRetryMs: this.opts.failedRetryMs ?? 2000 },
      );
      this.log.debug(
        {
          acks: batch.length,
          confirmed: outcome.confirmed,
          failed: outcome.failed,
          ms: Math.round(performance.now() - t0),
        },
        'ack batch applied',
      );
    } catch (err) {
      this.log.error({ err, acks: batch.length }, 'ack batch failed; its jobs will be retried');
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) w.resolve();
    for (const r of outcome.refused)
      this.log.warn({ clientId: r.clientId, itemId: r.itemId, reason: r.reason }, 'ack result refused');
    // Task messages with nothing pending leave their group's window: read after the commit, so
    // that of two batches answering one message at once the later one sees both (a message left
    // over is found empty at its retry time).
    try {
      await markAnswered(this.pool, await messagesWithoutPending(this.pool, [...outcome.messages.values()]));
      await this.onApplied(outcome);
    } catch (err) {
      this.log.error({ err }, 'after-ack step failed (the sweeper will catch up)');
    }
  }

  /** Waits for what is in flight (used on stop). */
  async drain() {
    this.kick();
    while (this.running.size) await Promise.all([...this.running]);
  }
}
