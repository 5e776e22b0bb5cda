// The BullMQ queues of the pipeline. Open-source BullMQ has no group keys (a Pro feature), so
// per-Group-ID partitioning is done by the dispatcher itself: one `task-dispatch` job names a
// group, and a Redis lease per group (group-lease.ts) lets only one worker publish for a group
// at a time, while the in-flight bound is read from MySQL. Several workers share every group.
export const TASK_PLAN_QUEUE = 'task-plan';
export const TASK_DISPATCH_QUEUE = 'task-dispatch';

export interface PlanJob {
  taskId: string;
}

export interface DispatchJob {
  groupId: string;
}

/** BullMQ refuses ':' in custom job ids; task ids are digits. */
export const planJobId = (taskId: string) => `task-${taskId}`;

/**
 * Worker options shared by the pipeline's workers: a job whose process died is noticed
 * within seconds (not BullMQ's default 30 s) and run again, several times if need be.
 * Every job here is idempotent, so running one twice is harmless.
 */
export const WORKER_RECOVERY = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 10 } as const;
