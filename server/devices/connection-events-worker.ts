// Consumes the broker's connection events (broker/uplink.ts): keeps each AP's online state,
// address, broker node and last-seen time in MySQL, with an audit record per event in the same
// transaction. A job is a batch of one node's events, applied in order in one transaction (all or
// nothing: a retried job adds no duplicate audit records). One job at a time, so the events of
// one node apply in the order they happened.
import { Worker, type Job } from 'bullmq';
import {
  CONNECTION_EVENTS_QUEUE,
  type ConnectionEvent,
  type ConnectionEventBatch,
  uplinkBackoff,
} from '../../broker/index.js';
import type { Actor, AuditEvent } from '../audit/audit-chain.js';
import { appendAuditMany } from '../audit/audit-repo.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { bullConnection } from '../core/redis.js';
import { errorLogger, throttledLog } from '../core/throttle.js';
import { withTx, type Pool } from '../db/pool.js';
import { recordConnectionEvent } from '../webhooks/events.js';
import * as aps from './aps-repo.js';

export class ConnectionEventsWorker implements Service {
  readonly name = 'connection-events-worker';
  private worker: Worker | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async start() {
    this.worker = new Worker(
      CONNECTION_EVENTS_QUEUE,
      (job: Job<ConnectionEventBatch | ConnectionEvent>) =>
        this.apply('events' in job.data ? job.data.events : [job.data]),
      {
        connection: bullConnection(this.redisUrl),
        prefix: this.prefix,
        concurrency: 1,
        settings: { backoffStrategy: uplinkBackoff },
      },
    );
    const failed = throttledLog(this.log, 'error', 'connection events failed; the job is retried');
    this.worker.on('failed', (job, err) =>
      failed({ err: { message: err.message, code: (err as { code?: string }).code }, jobId: job?.id }),
    );
    this.worker.on('error', errorLogger(this.log, 'connection events worker error; it carries on'));
    await this.worker.waitUntilReady();
  }

  async stop() {
    await this.worker?.close();
  }

  /** Applies a batch of events in order, in one transaction, with one audit append. */
  async apply(events: ConnectionEvent[]) {
    if (!events.length) return;
    await withTx(this.pool, async (c) => {
      const audit: { actor: Actor; event: AuditEvent }[] = [];
      for (const e of events) {
        const at = new Date(e.at);
        const actor = { name: e.clientId, role: 'device' as const, ip: e.ip };
        const refs = { ap: e.clientId, group: e.groupId };
        await recordConnectionEvent(c, e);
        if (e.type === 'connect') {
          await aps.recordConnect(c, {
            clientId: e.clientId,
            groupId: e.groupId,
            deviceId: e.deviceId,
            ip: e.ip,
            node: e.brokerNode,
            at,
          });
          audit.push({
            actor,
            event: {
              action: 'ap.connected',
              objectType: 'ap',
              objectId: e.clientId,
              refs,
              after: { at: e.at, ip: e.ip, brokerNode: e.brokerNode, cleanSession: e.cleanSession },
            },
          });
        } else if (e.type === 'disconnect') {
          // A taken-over connection ends while the new one is up: the AP stays online.
          await aps.recordDisconnect(c, {
            clientId: e.clientId,
            reason: e.reason ?? 'lost',
            at,
            offline: e.reason !== 'takeover',
          });
          audit.push({
            actor,
            event: {
              action: 'ap.disconnected',
              objectType: 'ap',
              objectId: e.clientId,
              refs,
              after: { at: e.at, reason: e.reason, ip: e.ip, brokerNode: e.brokerNode },
            },
          });
        } else {
          await aps.recordTakeover(c, { clientId: e.clientId, groupId: e.groupId, deviceId: e.deviceId });
          audit.push({
            actor,
            event: {
              action: 'ap.taken_over',
              objectType: 'ap',
              objectId: e.clientId,
              refs,
              summary: 'a second connection with the same Client ID took the session over',
              after: { at: e.at, ip: e.ip, brokerNode: e.brokerNode },
            },
          });
        }
      }
      // the chain append is the transaction's last statement (audit-repo.ts)
      await appendAuditMany(c, audit);
    });
  }
}
