// The pipeline's worker side on its own database and Redis prefix, composed exactly as
// server/platform.ts composes it for the worker role, with a downlink of the test's choosing.
import { Redis } from 'ioredis';
import type { DownlinkPublisher } from '../../../broker/downlink.js';
import { loadConfig, type Config } from '../../../server/config.js';
import type { AppContext } from '../../../server/core/context.js';
import { createLogger } from '../../../server/core/logger.js';
import type { Service } from '../../../server/core/lifecycle.js';
import { TaskCreator } from '../../../server/tasks/task-creator.js';
import { TaskFinisher } from '../../../server/tasks/task-finisher.js';
import { createTaskPipeline, type TaskPipeline } from '../../../server/tasks/task-pipeline.js';
import { TaskQueue } from '../../../server/tasks/task-queue.js';
import { deleteRedisPrefix } from '../../support/scratch.js';
import { serverUrls, uid } from '../../support/env.js';
import { migratedDatabase } from '../../support/env.js';

export interface Harness {
  ctx: AppContext;
  config: Config;
  prefix: string;
  creator: TaskCreator;
  finisher: TaskFinisher;
  queue: TaskQueue;
  pipeline: TaskPipeline;
  downlink: { current: DownlinkPublisher | null };
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const db = await migratedDatabase();
  const { redisUrl } = serverUrls();
  const prefix = `tp${uid()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_PREFIX: prefix,
    MYSQL_URL: db.url,
    REDIS_URL: redisUrl,
    ...env,
  });
  const log = createLogger(config.LOG_LEVEL);
  const redis = new Redis(redisUrl);
  const ctx: AppContext = { config, log, pool: db.pool, redis, redisUrl, mysqlUrl: db.url };
  const queue = new TaskQueue(redisUrl, prefix);
  const creator = new TaskCreator(db.pool, config, (id) => queue.enqueueTask(id));
  const finisher = new TaskFinisher(db.pool);
  const downlink: { current: DownlinkPublisher | null } = { current: null };
  const pipeline = createTaskPipeline(ctx, queue, finisher, downlink, { sweepIntervalMs: 300 });
  const services: Service[] = [queue, ...pipeline.services];
  for (const s of services) await s.start();
  return {
    ctx,
    config,
    prefix,
    creator,
    finisher,
    queue,
    pipeline,
    downlink,
    close: async () => {
      for (const s of [...services].reverse()) await s.stop();
      redis.disconnect();
      await db.drop();
      await deleteRedisPrefix(redisUrl, prefix);
    },
  };
}
