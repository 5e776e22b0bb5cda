// Consumes the broker's uplink queue (broker/uplink.ts): acks and status reports, a batch per
// job; and version 0.1.0's queue, a publish per job, which its brokers write to until they are
// upgraded. A batch whose publishes could not all be applied (MySQL away) is retried whole: an
// ack applied twice changes nothing the second time.
// A malformed message is counted and logged with its sender's Client ID and never applied;
// its job completes (retrying cannot fix it). Valid acks are applied in batches.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  UPLINK_QUEUE,
  UPLINK_QUEUE_0_1,
  uplinkBackoff,
  uplinkPublishesOf,
  type UplinkBatch,
  type UplinkJob,
  type UplinkPublish,
} from '../../broker/uplink.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { bullConnection } from '../core/redis.js';
import { errorLogger } from '../core/throttle.js';
import type { Pool } from '../db/pool.js';
import type { ApplyOutcome } from './ack-applier.js';
import { AckBatcher } from './ack-batcher.js';
import { WORKER_RECOVERY } from './queues.js';
import {
  MalformedUplinkError,
  checkAck,
  parseJson,
  parseUplink,
  statusSchema,
  type Status,
} from './uplink-schemas.js';

/** Where validated status reports go (server/devices applies them); tasks only route them. */
export type StatusSink = (
  from: { clientId: string; groupId: string; deviceId: string; receivedAt: Date },
  status: Status,
) => Promise<unknown>;

/**
 * Where `command.ack` messages of the ack topic go (server/commands applies them; an AP's answer
 * to a label command, docs/ap-protocol.md section 12). It throws MalformedUplinkError for a bad one.
 * Without it a `command.ack` is an unknown type, malformed like any other.
 */
export type CommandAckSink = (
  from: { clientId: string; groupId: string; receivedAt: Date },
  json: unknown,
) => Promise<'applied' | 'repeated' | 'unknown' | 'forged'>;

/** A job of either uplink queue, in any form a broker of this or an earlier version wrote. */
type UplinkData = UplinkJob | UplinkBatch | UplinkPublish;

export class UplinkWorker implements Service {
  readonly name = 'task-uplink-worker';
  private workers: Worker<UplinkData>[] = [];
  private readonly batcher: AckBatcher;
  private statusRunning = 0;
  private readonly statusWaiting: (() => void)[] = [];

  constructor(
    pool: Pool,
    private readonly redis: Redis,
    private readonly redisUrl: string,
    /** REDIS_PREFIX */
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly applyStatus: StatusSink,
    onApplied: (o: ApplyOutcome) => Promise<void>,
    /** TASK_FAILED_RETRY_MS: the first re-send of an item its AP answered `failed` */
    failedRetryMs: number,
    private readonly commandAcks: CommandAckSink | null = null,
    // many jobs in hand at once, so that acks arriving together are applied as one batch
    private readonly concurrency = 256,
    // Status reports each take a transaction of their own; a few at a time, so that a wave of
    // them (every AP reports every minute) cannot take the pool's connections and MariaDB's
    // CPU from the ack batches, whose delay would make the dispatcher resend what was applied.
    private readonly statusConcurrency = 4,
  ) {
    this.batcher = new AckBatcher(
      pool,
      log,
      async (o) => {
        if (o.refused.length) await this.count('forged', o.refused.length);
        await onApplied(o);
      },
      { failedRetryMs },
    );
  }

  /** Redis hash of rejected uplink messages by reason (shown to admins, read by tests). */
  get rejectedKey() {
    return `${this.prefix}:uplink:rejected`;
  }

  private async count(reason: string, n = 1) {
    await this.redis.hincrby(this.rejectedKey, reason, n);
  }

  async start() {
    for (const queue of [UPLINK_QUEUE, UPLINK_QUEUE_0_1]) {
      const w = new Worker<UplinkData>(queue, (job) => this.process(job), {
        prefix: this.prefix,
        connection: bullConnection(this.redisUrl),
        // 0.1.0's brokers write a job per publish, and keep writing while the workers are
        // upgraded first: as many in hand as on the new queue, so that their acks still share
        // the ack batches' transactions
        concurrency: this.concurrency,
        ...WORKER_RECOVERY,
        settings: { backoffStrategy: uplinkBackoff },
      });
      w.on('error', errorLogger(this.log, `uplink worker (${queue}) error; it carries on`));
      this.workers.push(w);
    }
  }

  private async process(job: Job<UplinkData>) {
    // every publish of the batch is tried before a failure fails the job (and retries it)
    const failed = (await Promise.allSettled(uplinkPublishesOf(job.data).map((u) => this.apply(u)))).find(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    );
    if (failed) throw failed.reason;
  }

  private async apply(u: UplinkPublish) {
    try {
      if (u.kind === 'ack') {
        const json = parseJson(u.payload);
        const type = (json as { type?: unknown } | null)?.type;
        if (type === 'command.ack' && this.commandAcks) {
          const outcome = await this.commandAcks(
            { clientId: u.clientId, groupId: u.groupId, receivedAt: new Date(u.receivedAt) },
            json,
          );
          if (outcome === 'forged' || outcome === 'unknown') await this.count(`command_ack_${outcome}`);
          return;
        }
        const ack = checkAck(json);
        await this.batcher.add({
          clientId: u.clientId,
          groupId: u.groupId,
          msgId: ack.msgId,
          results: ack.results,
          receivedAt: new Date(u.receivedAt),
        });
      } else if (u.kind === 'status') {
        const s = parseUplink(statusSchema, u.payload);
        await this.limitStatus(() =>
          this.applyStatus(
            {
              clientId: u.clientId,
              groupId: u.groupId,
              deviceId: u.deviceId,
              receivedAt: new Date(u.receivedAt),
            },
            s,
          ),
        );
      } else {
        throw new MalformedUplinkError(`unknown uplink kind ${String(u.kind)}`);
      }
    } catch (err) {
      if (!(err instanceof MalformedUplinkError)) throw err;
      await this.count(`malformed_${u.kind}`);
      // The payload itself is not logged: it may be large, and it is the sender's to keep.
      this.log.warn(
        { clientId: u.clientId, topic: u.topic, reason: err.message },
        'malformed uplink message dropped',
      );
    }
  }

  private async limitStatus<T>(fn: () => Promise<T>): Promise<T> {
    if (this.statusRunning >= this.statusConcurrency)
      await new Promise<void>((r) => this.statusWaiting.push(r));
    else this.statusRunning++;
    try {
      return await fn();
    } finally {
      // hand the slot straight to the next waiter (the count stays), or give it back
      const next = this.statusWaiting.shift();
      if (next) next();
      else this.statusRunning--;
    }
  }

  async stop() {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.batcher.drain();
  }
}
