// The pipeline's worker side on its own database and Redis prefix, composed by the same module
// factories server/platform.ts uses for the worker role (devices, then tasks), with a downlink
// of the test's choosing in place of the broker module's.
import { Redis } from 'ioredis';
import type { DownlinkPublisher } from '../../../broker/downlink.js';
import { loadConfig, type Config } from '../../../server/config.js';
import type { AppContext } from '../../../server/core/context.js';
import { createLogger } from '../../../server/core/logger.js';
import type { Service } from '../../../server/core/lifecycle.js';
import { createDevicesModule } from '../../../server/devices/module.js';
import { createTasksModule, type TaskPipeline } from '../../../server/tasks/module.js';
import type { TaskCreator } from '../../../server/tasks/task-creator.js';
import type { TaskFinisher } from '../../../server/tasks/task-finisher.js';
import type { TaskQueue } from '../../../server/tasks/task-queue.js';
import { deleteRedisPrefix } from '../../support/scratch.js';
import { serverUrls, uid } from '../../support/env.js';
import { migratedDatabase } from '../../support/env.js';

export interface Harness<D extends DownlinkPublisher = DownlinkPublisher> {
  ctx: AppContext;
  config: Config;
  prefix: string;
  creator: TaskCreator;
  finisher: TaskFinisher;
  queue: TaskQueue;
  pipeline: TaskPipeline;
  downlink: D;
  close(): Promise<void>;
}

/** `downlink` is made for the harness's Redis prefix (its MQTT client id may carry it). */
export async function startHarness<D extends DownlinkPublisher>(
  env: Record<string, string>,
  downlink: (prefix: string) => Promise<D>,
): Promise<Harness<D>> {
  const db = await migratedDatabase();
  const { redisUrl } = serverUrls();
  const prefix = `tp${uid()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_PREFIX: prefix,
    MYSQL_URL: db.url,
    REDIS_URL: redisUrl,
    ROLES: 'worker',
    ...env,
  });
  const log = createLogger(config.LOG_LEVEL);
  const redis = new Redis(redisUrl);
  const ctx: AppContext = { config, log, pool: db.pool, redis, redisUrl, mysqlUrl: db.url };
  const roles = new Set(config.ROLES);
  const down = await downlink(prefix);
  const devices = createDevicesModule(ctx, roles);
  const tasks = createTasksModule(ctx, roles, {
    downlink: down,
    applyStatus: devices.ports.applyStatus,
    sweepIntervalMs: 300,
  });
  const services: Service[] = [...devices.services, ...tasks.services];
  for (const s of services) await s.start();
  return {
    ctx,
    config,
    prefix,
    creator: tasks.ports.taskCreator,
    finisher: tasks.ports.finisher,
    queue: tasks.ports.taskQueue,
    pipeline: tasks.ports.pipeline!,
    downlink: down,
    close: async () => {
      for (const s of [...services].reverse()) await s.stop();
      redis.disconnect();
      await db.drop();
      await deleteRedisPrefix(redisUrl, prefix);
    },
  };
}
