// The price-change pipeline as the platform composes it: the task queue and the TaskCreator
// (every role that creates tasks), the task pages and REST API (web role), and the worker
// role's dispatch, uplink and sweeper. Services start in this order and stop in reverse.
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { groupsWithWork } from './dispatch-repo.js';
import { DispatchWorker } from './dispatch-worker.js';
import { GroupDispatcher, type ItemImagePort } from './group-dispatcher.js';
import { taskApiRoutes } from './task-api-routes.js';
import { TaskCreator } from './task-creator.js';
import { TaskFinisher } from './task-finisher.js';
import { TaskQueue } from './task-queue.js';
import { taskRoutes } from './task-routes.js';
import { LiveHub } from '../core/live-hub.js';
import { TaskService } from './task-service.js';
import { TaskSweeper } from './task-sweeper.js';
import { UplinkWorker, type CommandAckSink, type StatusSink } from './uplink-worker.js';

/** The worker role's part of the pipeline. */
export interface TaskPipeline {
  dispatch: DispatchWorker;
  uplink: UplinkWorker;
  sweeper: TaskSweeper;
}

export interface TasksPorts {
  /** Creates tasks inside the caller's transaction (the catalog's PriceTaskCreator). */
  taskCreator: TaskCreator;
  /** Task queries and actions (pages, API, the dashboard's and alerts' diagnosis). */
  tasks: TaskService;
  taskQueue: TaskQueue;
  finisher: TaskFinisher;
  /** The worker role's pipeline, else null. */
  pipeline: TaskPipeline | null;
}

export interface TasksDeps {
  /** How the worker role publishes to devices (the broker module's downlink). */
  downlink: DownlinkPublisher | null;
  /** Where status reports go (the devices module's). */
  applyStatus: StatusSink;
  /** The rendered images of items bound for image-capable APs (the render module's), if any. */
  images?: ItemImagePort | null;
  /** Where APs' answers to label commands go (the commands module's), if anywhere. */
  commandAcks?: CommandAckSink | null;
  /** The sweeper's period (tests shorten it). */
  sweepIntervalMs?: number;
}

export function createTasksModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: TasksDeps,
): DomainModule<TasksPorts> {
  const { config, pool, redis, redisUrl, log } = ctx;
  const prefix = config.REDIS_PREFIX;
  // the task pages' live snapshots, computed once per task and tick for every viewer (server/core/live-hub.ts)
  const live = new LiveHub(ctx.redis, prefix, ctx.log.child({ module: 'task-live' }), 'task-live');
  const taskQueue = new TaskQueue(redisUrl, prefix);
  const taskCreator = new TaskCreator(pool, config, (taskId) => taskQueue.enqueueTask(taskId));
  const finisher = new TaskFinisher(pool);
  const tasks = new TaskService(pool, taskCreator, finisher);

  let pipeline: TaskPipeline | null = null;
  if (roles.has('worker')) {
    if (!deps.downlink) throw new Error('the worker role needs a downlink to the broker');
    const dispatcher = new GroupDispatcher(pool, config, deps.downlink, log, deps.images ?? null);
    const dispatch = new DispatchWorker(pool, redis, redisUrl, prefix, taskQueue, dispatcher, log, {
      concurrency: config.TASK_DISPATCH_CONCURRENCY,
    });
    const uplink = new UplinkWorker(
      pool,
      redis,
      redisUrl,
      prefix,
      log,
      deps.applyStatus,
      async (o) => {
        for (const t of o.tasks) await finisher.completeIfDrained(t);
        // Answers free the group's window: send the next messages, where there are any.
        await dispatch.trigger(await groupsWithWork(pool, [...o.groups]));
      },
      config.TASK_FAILED_RETRY_MS,
      deps.commandAcks ?? null,
    );
    const sweeper = new TaskSweeper(
      pool,
      redis,
      prefix,
      finisher,
      (id) => taskQueue.enqueueTask(id),
      (groups) => dispatch.trigger(groups),
      log,
      deps.sweepIntervalMs,
    );
    pipeline = { dispatch, uplink, sweeper };
  }

  return {
    name: 'tasks',
    services: [
      ...(pipeline ? [taskQueue, pipeline.dispatch, pipeline.uplink, pipeline.sweeper] : [taskQueue]),
      live,
    ],
    routes: [taskRoutes(tasks, live), taskApiRoutes(tasks)],
    ports: { taskCreator, tasks, taskQueue, finisher, pipeline },
  };
}
