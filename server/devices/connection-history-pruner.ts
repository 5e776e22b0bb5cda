// Keeps the connection history to CONNECTION_HISTORY_RETENTION_DAYS (worker role): every hour,
// and once at start, deletes older events and churn counts in chunks of CHUNK rows, so a large
// backlog never holds one long transaction. Several workers may prune at once: a DELETE of rows
// already gone deletes nothing.
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { throttledLog } from '../core/throttle.js';
import type { Pool } from '../db/pool.js';
import { pruneHistory } from './connection-history-repo.js';

const EVERY_MS = 3600_000;
const CHUNK = 5000;

export class ConnectionHistoryPruner implements Service {
  readonly name = 'connection-history-pruner';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly failed: ReturnType<typeof throttledLog>;

  constructor(
    private readonly pool: Pool,
    private readonly retentionDays: number,
    log: Logger,
  ) {
    this.failed = throttledLog(log, 'error', 'connection history pruning failed; it runs again in an hour');
  }

  async start() {
    const run = () => {
      this.running ??= this.prune()
        .catch((err: unknown) => this.failed({ err: { message: (err as Error).message } }))
        .finally(() => (this.running = null));
    };
    run();
    this.timer = setInterval(run, EVERY_MS);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Deletes what is older than the retention; returns how many rows went. */
  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.retentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const n = await pruneHistory(this.pool, before, CHUNK);
      total += n;
      if (n === 0) return total;
    }
  }
}
