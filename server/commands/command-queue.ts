// The BullMQ queue between whoever asks for label commands (web role) and the worker that sends
// them. A job names committed, queued commands; losing one only delays them to the next sweep.
import { Queue, Worker } from 'bullmq';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { bullConnection } from '../core/redis.js';
import { errorLogger, throttledLog } from '../core/throttle.js';
import type { CommandDispatcher } from './command-dispatcher.js';

export const LABEL_COMMAND_QUEUE = 'label-commands';

export interface CommandJob {
  uids: string[];
}

export class CommandQueue implements Service {
  readonly name = 'label-command-queue';
  private queue: Queue<CommandJob> | null = null;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {}

  async start() {}

  async enqueue(uids: string[]) {
    this.queue ??= new Queue<CommandJob>(LABEL_COMMAND_QUEUE, {
      prefix: this.prefix,
      connection: bullConnection(this.redisUrl),
    });
    for (let i = 0; i < uids.length; i += 200)
      await this.queue.add(
        'send',
        { uids: uids.slice(i, i + 200) },
        {
          removeOnComplete: true,
          removeOnFail: 1000,
          attempts: 5,
          backoff: { type: 'exponential', delay: 500 },
        },
      );
  }

  async stop() {
    await this.queue?.close();
  }
}

/**
 * The worker role's part: sends what the queue names and, every `sweepMs`, what was left queued
 * (a job lost with Redis) and times out what was sent and not acked in time.
 */
export class CommandWorker implements Service {
  readonly name = 'label-command-worker';
  private worker: Worker<CommandJob> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly failed: (o?: Record<string, unknown>) => void;

  constructor(
    private readonly dispatcher: CommandDispatcher,
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly sweepMs: number,
  ) {
    this.failed = throttledLog(log, 'error', 'label command sweep failed; it runs again every tick');
  }

  async start() {
    this.worker = new Worker<CommandJob>(
      LABEL_COMMAND_QUEUE,
      async (job) => {
        await this.dispatcher.send({ uids: job.data.uids });
      },
      {
        prefix: this.prefix,
        connection: bullConnection(this.redisUrl),
        concurrency: 4,
        lockDuration: 10_000,
        stalledInterval: 5_000,
      },
    );
    this.worker.on('error', errorLogger(this.log, 'label command worker error; it carries on'));
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep().finally(() => (this.running = null));
    }, this.sweepMs);
  }

  async sweep() {
    try {
      // queued for longer than a few sweeps: its job was lost (Redis away when it was asked for)
      await this.dispatcher.send({ olderThan: new Date(Date.now() - Math.max(3000, this.sweepMs * 3)) });
      await this.dispatcher.timeOutOverdue();
    } catch (err) {
      this.failed({ err: { message: (err as Error).message, code: (err as { code?: string }).code } });
    }
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.worker?.close();
  }
}
