// The pipeline's part of server/platform.ts, so that its `// [tasks]` blocks stay two calls.
// composeTaskCreator runs before the catalog block (the catalog creates tasks through it);
// composeTasks adds the pages, the REST API, the worker role's services and the demo fleet.
import type { Router } from 'express';
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { devicesRoutes } from '../devices/devices-routes.js';
import type { ItemImagePort } from './group-dispatcher.js';
import { taskApiRoutes } from './task-api-routes.js';
import { TaskCreator } from './task-creator.js';
import { TaskFinisher } from './task-finisher.js';
import { createTaskPipeline } from './task-pipeline.js';
import { TaskQueue } from './task-queue.js';
import { taskRoutes } from './task-routes.js';
import { TaskService } from './task-service.js';

export function composeTaskCreator(
  ctx: AppContext,
  services: Service[],
): { taskQueue: TaskQueue; taskCreator: TaskCreator } {
  const taskQueue = new TaskQueue(ctx.redisUrl, ctx.config.REDIS_PREFIX);
  services.push(taskQueue);
  return {
    taskQueue,
    taskCreator: new TaskCreator(ctx.pool, ctx.config, (taskId) => taskQueue.enqueueTask(taskId)),
  };
}

export async function composeTasks(
  ctx: AppContext,
  roles: Set<Role>,
  early: { taskQueue: TaskQueue; taskCreator: TaskCreator },
  downlink: { current: DownlinkPublisher | null },
  services: Service[],
  routes: ((app: Router) => void)[],
  images: ItemImagePort | null = null,
): Promise<void> {
  const { config, pool } = ctx;
  const finisher = new TaskFinisher(pool);
  const tasks = new TaskService(pool, early.taskCreator, finisher);
  routes.push(taskRoutes(tasks), taskApiRoutes(tasks), devicesRoutes(pool));
  if (roles.has('worker'))
    services.push(...createTaskPipeline(ctx, early.taskQueue, finisher, downlink, { images }).services);
  // The demo fleet only in the embedded default with every role in this process.
  if (config.DEMO && config.embedded && roles.has('broker') && roles.has('worker')) {
    const { startDemo } = await import('../demo/demo-compose.js');
    services.push(startDemo(ctx, services));
  }
}
