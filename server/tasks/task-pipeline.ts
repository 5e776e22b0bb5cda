// Composes the worker role's part of the pipeline: dispatch, uplink (acks, status) and the
// sweeper. server/platform.ts pushes `services` in this order; they stop in reverse.
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { groupsWithWork } from './dispatch-repo.js';
import { DispatchWorker } from './dispatch-worker.js';
import { GroupDispatcher, type ItemImagePort } from './group-dispatcher.js';
import type { TaskFinisher } from './task-finisher.js';
import type { TaskQueue } from './task-queue.js';
import { TaskSweeper } from './task-sweeper.js';
import { UplinkWorker } from './uplink-worker.js';

export interface TaskPipeline {
  services: Service[];
  dispatch: DispatchWorker;
  uplink: UplinkWorker;
  sweeper: TaskSweeper;
}

export function createTaskPipeline(
  ctx: AppContext,
  queue: TaskQueue,
  finisher: TaskFinisher,
  downlink: { current: DownlinkPublisher | null },
  opts: { sweepIntervalMs?: number; images?: ItemImagePort | null } = {},
): TaskPipeline {
  const { pool, redis, redisUrl, config, log } = ctx;
  const dispatcher = new GroupDispatcher(pool, config, downlink, log, opts.images ?? null);
  const dispatch = new DispatchWorker(pool, redis, redisUrl, config, queue, dispatcher, log, {
    concurrency: config.TASK_DISPATCH_CONCURRENCY,
  });
  const uplink = new UplinkWorker(pool, redis, redisUrl, config, log, async (o) => {
    for (const t of o.tasks) await finisher.completeIfDrained(t);
    // Answers free the group's window: send the next messages, where there are any.
    await dispatch.trigger(await groupsWithWork(pool, [...o.groups]));
  });
  const sweeper = new TaskSweeper(
    pool,
    redis,
    config,
    finisher,
    (id) => queue.enqueueTask(id),
    (g) => dispatch.trigger(g),
    log,
    opts.sweepIntervalMs,
  );
  return { services: [dispatch, uplink, sweeper], dispatch, uplink, sweeper };
}
