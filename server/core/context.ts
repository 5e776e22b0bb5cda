import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from './logger.js';

/** What every domain gets at start-up. Built once by server/platform.ts. */
export interface AppContext {
  config: Config;
  log: Logger;
  pool: Pool;
  /** General-purpose Redis connection (sessions, throttles). BullMQ makes its own. */
  redis: Redis;
  redisUrl: string;
  mysqlUrl: string;
}
