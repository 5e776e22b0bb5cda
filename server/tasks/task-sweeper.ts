// The worker's periodic duties, one process at a time (a Redis lease): enqueue tasks left
// 'queued' (the creating process died between commit and enqueue), time out tasks past
// their deadline, finish tasks with nothing left open, and wake groups with due retries.
import type { Redis } from 'ioredis';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import { throttledLog } from '../core/throttle.js';
import { groupsWithWork } from './dispatch-repo.js';
import { GroupLease } from './group-lease.js';
import { strandedQueuedTasks } from './plan-repo.js';
import type { TaskFinisher } from './task-finisher.js';
import { drainedTasks, overdueTasks } from './task-state-repo.js';

const SWEEPER_LEASE = '_sweeper';

export class TaskSweeper implements Service {
  readonly name = 'task-sweeper';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly lease: GroupLease;
  // while MySQL or Redis is away every tick fails the same way
  private readonly failed: ReturnType<typeof throttledLog>;

  constructor(
    private readonly pool: Pool,
    redis: Redis,
    /** REDIS_PREFIX */
    prefix: string,
    private readonly finisher: TaskFinisher,
    private readonly enqueue: (taskId: string) => Promise<void>,
    private readonly trigger: (groups: string[]) => Promise<void>,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
    /** a task this old and still 'queued' is taken as stranded */
    private readonly strandedAfterSeconds = 5,
  ) {
    this.lease = new GroupLease(redis, prefix, intervalMs * 10);
    this.failed = throttledLog(log, 'error', 'task sweep failed; it runs again every tick');
  }

  async start() {
    // At start-up, stranded tasks are picked up at once, whatever their age.
    this.running = this.sweep(0);
    await this.running;
    this.running = null;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep(this.strandedAfterSeconds).finally(() => (this.running = null));
    }, this.intervalMs);
  }

  async sweep(strandedAfter: number) {
    const token = await this.lease.acquire(SWEEPER_LEASE).catch(() => null);
    if (!token) return;
    try {
      for (const id of await strandedQueuedTasks(this.pool, strandedAfter)) {
        await this.enqueue(id);
        this.log.info({ taskId: id }, 'stranded task enqueued');
      }
      for (const id of await overdueTasks(this.pool)) await this.finisher.timeOut(id);
      for (const id of await drainedTasks(this.pool)) await this.finisher.completeIfDrained(id);
      await this.trigger(await groupsWithWork(this.pool));
    } catch (err) {
      this.failed({ err: { message: (err as Error).message, code: (err as { code?: string }).code } });
    } finally {
      await this.lease.release(SWEEPER_LEASE, token).catch(() => {});
    }
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
