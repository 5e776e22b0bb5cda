// The worker role's dispatcher: consumes plan jobs (a committed task starts) and dispatch
// jobs (one round or more for one Group ID, under that group's lease).
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { bullConnection } from '../core/redis.js';
import { errorLogger } from '../core/throttle.js';
import { withTx, type Pool } from '../db/pool.js';
import type { GroupDispatcher } from './group-dispatcher.js';
import { GroupLease } from './group-lease.js';
import { startTask, taskGroups } from './plan-repo.js';
import {
  TASK_DISPATCH_QUEUE,
  TASK_PLAN_QUEUE,
  WORKER_RECOVERY,
  type DispatchJob,
  type PlanJob,
} from './queues.js';
import type { TaskQueue } from './task-queue.js';

export interface DispatchWorkerOptions {
  /** dispatch jobs handled at once by this process (different groups) */
  concurrency?: number;
  /** rounds one job may run before it yields to other groups */
  roundsPerJob?: number;
}

export class DispatchWorker implements Service {
  readonly name = 'task-dispatch-worker';
  private plan: Worker<PlanJob> | null = null;
  private dispatch: Worker<DispatchJob> | null = null;
  private readonly lease: GroupLease;

  constructor(
    private readonly pool: Pool,
    redis: Redis,
    private readonly redisUrl: string,
    /** REDIS_PREFIX */
    private readonly prefix: string,
    private readonly queue: TaskQueue,
    private readonly dispatcher: GroupDispatcher,
    private readonly log: Logger,
    private readonly opts: DispatchWorkerOptions = {},
  ) {
    this.lease = new GroupLease(redis, prefix);
  }

  /** Wake these groups up (after acks free their window, or from the sweeper). */
  async trigger(groupIds: string[]): Promise<void> {
    if (!groupIds.length) return;
    await this.lease.markDirty(groupIds);
    await this.queue.triggerGroups(groupIds);
  }

  async start() {
    const base = {
      prefix: this.prefix,
      connection: bullConnection(this.redisUrl),
      ...WORKER_RECOVERY,
    };
    this.plan = new Worker<PlanJob>(TASK_PLAN_QUEUE, (job) => this.runPlan(job), { ...base, concurrency: 2 });
    this.dispatch = new Worker<DispatchJob>(TASK_DISPATCH_QUEUE, (job) => this.runDispatch(job), {
      ...base,
      // Two groups at once: each round is one large UPDATE, and more of them in parallel only
      // take MariaDB's CPU from the ack batches (acks applied late make items due for a resend);
      // measured with 8, 4, 3 and 2, rounds slowed in step with the number run at once.
      concurrency: this.opts.concurrency ?? 2,
    });
    for (const w of [this.plan, this.dispatch])
      w.on('error', errorLogger(this.log, `task worker error (${w.name}); it carries on`));
    this.dispatch.on('failed', (job, err) =>
      this.log.warn({ err, groupId: job?.data.groupId }, 'dispatch job failed'),
    );
  }

  private async runPlan(job: Job<PlanJob>) {
    const { taskId } = job.data;
    const t0 = performance.now();
    const groups = await withTx(this.pool, async (c) => {
      if (!(await startTask(c, taskId))) return null;
      const g = await taskGroups(c, taskId);
      await appendAudit(c, SYSTEM_ACTOR, [
        {
          action: 'task.dispatched',
          objectType: 'task',
          objectId: taskId,
          refs: { task: taskId, group: g.map((x) => x.groupId) },
          summary: `task ${taskId} dispatching to ${g.length} group(s)`,
          after: { groups: g },
        },
      ]);
      return g;
    });
    // A task already started (a re-enqueue by the recovery sweep) still gets its groups poked.
    const ids = (groups ?? (await taskGroups(this.pool, taskId))).map((g) => g.groupId);
    await this.trigger(ids);
    this.log.debug({ taskId, groups: ids.length, ms: Math.round(performance.now() - t0) }, 'task planned');
  }

  private async runDispatch(job: Job<DispatchJob>) {
    const g = job.data.groupId;
    const token = await this.lease.acquire(g);
    if (!token) return; // the holder will see the dirty flag
    let yielded = false;
    try {
      const budget = this.opts.roundsPerJob ?? 20;
      for (let i = 0; ; i++) {
        await this.lease.takeDirty(g);
        const r = await this.dispatcher.round(g);
        if (r.more && i + 1 >= budget) {
          yielded = true;
          break;
        }
        if (!r.more && !(await this.lease.isDirty(g))) break;
        await this.lease.extend(g, token);
      }
    } finally {
      await this.lease.release(g, token);
    }
    // Re-check after letting go: a trigger that arrived while we held the lease found it taken.
    if (yielded || (await this.lease.isDirty(g))) await this.trigger([g]);
  }

  async stop() {
    await Promise.all([this.plan?.close(), this.dispatch?.close()]);
  }
}
