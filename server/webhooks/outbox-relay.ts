// Moves deliveries from the MySQL outbox to BullMQ: every WEBHOOK_RELAY_INTERVAL_MS, the
// pending deliveries of enabled, unpaused endpoints become jobs (job first, then the row says
// queued: a crash between the two re-adds the same job id, which BullMQ ignores). While Redis
// is away the add waits and the rows stay pending; nothing is lost and the relay catches up
// when Redis is back. A queued delivery whose job has vanished (Redis lost its data) goes back
// to pending after a minute.
import type { Queue } from 'bullmq';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import { deliverable, markQueued, purgeBefore, queuedBefore, requeue } from './deliveries-repo.js';
import { deliveryJobId, type DeliveryJob } from './delivery-queue.js';

const BATCH = 200;
const LOST_CHECK_MS = 30_000;
const LOST_AFTER_MS = 60_000;
const PURGE_EVERY_MS = 3600_000;

export interface RelayOptions {
  intervalMs: number;
  attempts: number;
  retryBaseMs: number;
  retentionDays: number;
}

export class OutboxRelay implements Service {
  readonly name = 'webhook-outbox-relay';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastLostCheck = Date.now();
  private lastPurge = 0;

  constructor(
    private readonly pool: Pool,
    private readonly queue: Queue<DeliveryJob>,
    private readonly opts: RelayOptions,
    private readonly log: Logger,
  ) {}

  async start() {
    this.timer = setInterval(() => void this.kick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass now (the tests and the admin's actions call it to skip the wait). */
  kick(): Promise<void> {
    this.running ??= this.pass()
      .catch((err: unknown) => this.log.warn({ err }, 'webhook relay pass failed; retried on the next tick'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass() {
    for (;;) {
      const rows = await deliverable(this.pool, BATCH);
      if (!rows.length) break;
      await this.queue.addBulk(
        rows.map((r) => ({
          name: 'deliver',
          data: { deliveryId: r.id },
          opts: {
            jobId: deliveryJobId(r.id, r.generation + 1),
            attempts: this.opts.attempts,
            backoff: { type: 'exponential', delay: this.opts.retryBaseMs },
            removeOnComplete: true,
            removeOnFail: 1000,
          },
        })),
      );
      for (const r of rows) await markQueued(this.pool, r.id, r.generation);
      if (rows.length < BATCH || !this.timer) break;
    }
    if (Date.now() - this.lastLostCheck >= LOST_CHECK_MS) {
      this.lastLostCheck = Date.now();
      await this.recoverLost();
    }
    if (Date.now() - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      await this.purge();
    }
  }

  /** Drops what is older than WEBHOOK_RETENTION_DAYS and finished; returns the rows deleted. */
  async purge(now = Date.now()): Promise<number> {
    const cutoff = new Date(now - this.opts.retentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const n = await purgeBefore(this.pool, cutoff);
      total += n;
      if (!n) return total;
    }
  }

  /** Queued deliveries whose job is gone (or ended without the row saying so) are queued again. */
  async recoverLost(olderThanMs = LOST_AFTER_MS): Promise<number> {
    let n = 0;
    for (const r of await queuedBefore(this.pool, olderThanMs)) {
      const job = await this.queue.getJob(deliveryJobId(r.id, r.generation));
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'completed' || state === 'failed' || state === 'unknown') {
        if (await requeue(this.pool, r.id, ['queued'])) n++;
      }
    }
    if (n) this.log.warn({ deliveries: n }, 'webhook deliveries without a job queued again');
    return n;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // a pass waiting for an absent Redis is left behind: its rows are still pending
    await Promise.race([this.running, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
