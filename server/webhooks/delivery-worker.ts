// Sends webhook deliveries (worker role). A job is one attempt of one delivery: the row is read
// back from MySQL (a deleted endpoint, a finished delivery or a duplicate job sends nothing), the
// body is POSTed signed, and the attempt is logged with its status and latency in one
// transaction with the delivery's and the endpoint's new state. A failure throws, and BullMQ
// runs the job again after an exponential backoff, until WEBHOOK_MAX_ATTEMPTS; then the
// delivery is failed (an admin may redeliver it). WEBHOOK_PAUSE_AFTER_FAILURES failed attempts
// in a row pause the endpoint: its deliveries wait, pending, until an admin resumes it.
import { Worker, type Job } from 'bullmq';
import type { SecretBox } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Config } from '../config.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { bullConnection } from '../core/redis.js';
import { withTx, type Pool } from '../db/pool.js';
import { loadForSend, recordAttempt, requeue, type AttemptResult } from './deliveries-repo.js';
import { WEBHOOK_QUEUE, type DeliveryJob } from './delivery-queue.js';
import { clearFailures, countFailure, lockEndpointState } from './endpoints-repo.js';
import { sendWebhook } from './webhook-sender.js';

type Knobs = Pick<
  Config,
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_PAUSE_AFTER_FAILURES'
  | 'WEBHOOK_CONCURRENCY'
  | 'WEBHOOK_ALLOW_PRIVATE'
  | 'REDIS_PREFIX'
>;

export class DeliveryWorker implements Service {
  readonly name = 'webhook-delivery-worker';
  private worker: Worker<DeliveryJob> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly redisUrl: string,
    private readonly config: Knobs,
    private readonly box: SecretBox,
    private readonly log: Logger,
  ) {}

  async start() {
    this.worker = new Worker<DeliveryJob>(WEBHOOK_QUEUE, (job) => this.process(job), {
      connection: bullConnection(this.redisUrl),
      prefix: this.config.REDIS_PREFIX,
      concurrency: this.config.WEBHOOK_CONCURRENCY,
    });
    this.worker.on('failed', (job, err) =>
      this.log.info(
        { jobId: job?.id, err: err.message },
        'webhook attempt failed; retried after its backoff',
      ),
    );
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'webhook worker error'));
  }

  async stop() {
    await this.worker?.close();
    this.worker = null;
  }

  async process(job: Job<DeliveryJob>): Promise<void> {
    const id = job.data.deliveryId;
    const d = await loadForSend(this.pool, id);
    if (!d || (d.state !== 'queued' && d.state !== 'pending')) return;
    if (!d.enabled || d.paused_at) {
      // held: the relay queues it again once the endpoint is enabled and resumed
      await requeue(this.pool, id, ['queued']);
      return;
    }
    const secret = this.box.open(d.secret_sealed);
    const result: AttemptResult = secret
      ? await sendWebhook(
          {
            url: d.url,
            secret,
            body: d.body,
            deliveryUid: d.uid,
            eventUid: d.event_uid,
            eventType: d.event_type,
          },
          { timeoutMs: this.config.WEBHOOK_TIMEOUT_MS, allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE },
        )
      : {
          startedAt: new Date(),
          statusCode: null,
          latencyMs: 0,
          error: 'the secret cannot be opened (was MQTT_SECRET_KEY changed?)',
          snippet: null,
        };
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const state = await withTx(this.pool, async (c) => {
      // endpoint row first, then the delivery's (the order every writer of both keeps)
      if (ok) {
        if (!(await lockEndpointState(c, d.endpoint_id))) return null;
        await clearFailures(c, d.endpoint_id);
        return (await recordAttempt(c, id, result, 'succeeded')) === null ? null : 'succeeded';
      }
      const f = await countFailure(
        c,
        d.endpoint_id,
        this.config.WEBHOOK_PAUSE_AFTER_FAILURES,
        `${this.config.WEBHOOK_PAUSE_AFTER_FAILURES} failed attempts in a row; last: ${result.error}`,
      );
      const next = f.paused ? 'pending' : last ? 'failed' : 'queued';
      if ((await recordAttempt(c, id, result, next)) === null) return null;
      if (f.pausedNow)
        await appendAudit(c, SYSTEM_ACTOR, [
          {
            action: 'webhook.endpoint.paused',
            objectType: 'webhook_endpoint',
            objectId: String(d.endpoint_id),
            summary: `paused after ${f.failures} failed attempts in a row`,
            after: { failures: f.failures, lastError: result.error, lastStatus: result.statusCode },
          },
        ]);
      return next;
    });
    if (state === 'queued') throw new Error(result.error ?? 'delivery failed');
  }
}
