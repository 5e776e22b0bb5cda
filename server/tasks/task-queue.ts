// The producer side of the pipeline: hands committed tasks to the dispatcher (plan jobs) and
// asks for a group's dispatch. Used by every role that creates tasks (web, worker sweeps).
import { Queue } from 'bullmq';
import type { Service } from '../core/lifecycle.js';
import { bullConnection } from '../core/redis.js';
import { TASK_DISPATCH_QUEUE, TASK_PLAN_QUEUE, planJobId, type DispatchJob, type PlanJob } from './queues.js';

export class TaskQueue implements Service {
  readonly name = 'task-queue';
  private plan: Queue<PlanJob> | null = null;
  private dispatch: Queue<DispatchJob> | null = null;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {}

  private queues() {
    // Opened on first use so that constructing the platform costs no connection.
    const opts = { prefix: this.prefix, connection: bullConnection(this.redisUrl) };
    this.plan ??= new Queue<PlanJob>(TASK_PLAN_QUEUE, opts);
    this.dispatch ??= new Queue<DispatchJob>(TASK_DISPATCH_QUEUE, opts);
    return { plan: this.plan, dispatch: this.dispatch };
  }

  async start() {}

  /** Idempotent: a task already waiting is not added twice (the job id is the task's). */
  async enqueueTask(taskId: string): Promise<void> {
    await this.queues().plan.add(
      'plan',
      { taskId },
      {
        jobId: planJobId(taskId),
        removeOnComplete: true,
        removeOnFail: 1000,
        attempts: 10,
        backoff: { type: 'exponential', delay: 1000 },
      },
    );
  }

  /** Asks for a dispatch round of these groups; cheap, and safe to call often (see group-lease.ts). */
  async triggerGroups(groupIds: Iterable<string>): Promise<void> {
    const jobs = [...new Set(groupIds)].map((groupId) => ({
      name: 'dispatch',
      data: { groupId },
      opts: {
        removeOnComplete: true,
        removeOnFail: 1000,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    }));
    if (jobs.length) await this.queues().dispatch.addBulk(jobs);
  }

  async stop() {
    await Promise.all([this.plan?.close(), this.dispatch?.close()]);
    this.plan = null;
    this.dispatch = null;
  }
}
