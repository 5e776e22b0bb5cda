// Consumes the broker's connection events (broker/uplink.ts): keeps each AP's online state,
// address, broker node and last-seen time in MySQL, every event in the connection history
// (connection-history-repo.ts) and, in the audit trail, only the security events: take-overs and
// the broker's summaries of refused CONNECTs (one record per key or IP and period). Ordinary
// churn is counted per AP and hour, so a connect storm cannot flood the hash chain. A job is a batch of one node's events, applied in order in one transaction (all or
// nothing: a retried job adds no duplicate audit records). One job at a time, so the events of
// one node apply in the order they happened.
import { Worker, type Job } from 'bullmq';
import {
  CONNECTION_EVENTS_QUEUE,
  type ConnectionEvent,
  type ConnectionEventBatch,
  type ConnectSummary,
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
import type { HistoryRow } from './connection-history.js';
import { addChurn, insertHistory } from './connection-history-repo.js';

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
        'events' in job.data ? this.apply(job.data.events, job.data.security ?? []) : this.apply([job.data]),
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

  /**
   * Applies a batch of events in order, in one transaction: the AP's state per event, the
   * history rows and churn counts as one statement each, and one audit append holding only the
   * security events of the batch (take-overs, refused-CONNECT summaries).
   */
  async apply(events: ConnectionEvent[], security: ConnectSummary[] = []) {
    if (!events.length && !security.length) return;
    await withTx(this.pool, async (c) => {
      const audit: { actor: Actor; event: AuditEvent }[] = [];
      const history: HistoryRow[] = [];
      for (const e of events) {
        const at = new Date(e.at);
        history.push(historyRow(e, at));
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
        } else if (e.type === 'disconnect') {
          // A taken-over connection ends while the new one is up: the AP stays online.
          await aps.recordDisconnect(c, {
            clientId: e.clientId,
            reason: e.reason ?? 'lost',
            at,
            offline: e.reason !== 'takeover',
          });
        } else if (e.type === 'takeover') {
          await aps.recordTakeover(c, { clientId: e.clientId, groupId: e.groupId, deviceId: e.deviceId });
          audit.push({
            actor: { name: e.clientId, role: 'device', ip: e.ip },
            event: {
              action: 'ap.taken_over',
              objectType: 'ap',
              objectId: e.clientId,
              refs: { ap: e.clientId, group: e.groupId },
              summary: 'a second connection with the same Client ID took the session over',
              after: { at: e.at, ip: e.ip, brokerNode: e.brokerNode, accessKeyId: e.accessKeyId },
            },
          });
        }
        // 'resumed': the AP came back after its node was lost; history only, its connect follows
      }
      for (const s of security) audit.push(securityRecord(s));
      await insertHistory(c, history);
      await addChurn(c, history);
      // the chain append is the transaction's last statement (audit-repo.ts)
      await appendAuditMany(c, audit);
    });
  }
}

function historyRow(e: ConnectionEvent, at: Date): HistoryRow {
  return {
    at,
    clientId: e.clientId,
    groupId: e.groupId,
    kind: e.type,
    reason: e.type === 'disconnect' ? (e.reason ?? 'lost') : e.type === 'resumed' ? 'node_lost' : null,
    brokerNode: e.brokerNode,
    previousNode: e.previousNode ?? null,
    credentialKind: e.credentialKind ?? null,
    accessKeyId: e.accessKeyId ?? null,
    ip: e.ip,
    cleanSession: e.cleanSession ?? null,
  };
}

const SECURITY_ACTIONS = {
  refused: 'mqtt.connect.refused',
  revoked_credential: 'mqtt.connect.revoked_credential',
  rate_limited: 'mqtt.connect.rate_limited',
} as const;

/** One audit record for a period's refused CONNECTs of one key or IP. */
function securityRecord(s: ConnectSummary): { actor: Actor; event: AuditEvent } {
  const subject = s.accessKeyId ?? s.ip ?? '*';
  return {
    actor: { name: `broker:${s.brokerNode}`, role: 'system', ip: s.ip },
    event: {
      action: SECURITY_ACTIONS[s.kind],
      objectType: s.accessKeyId ? 'mqtt_access_key' : 'ip',
      objectId: subject,
      refs: { accessKey: s.accessKeyId, ip: s.ips, ap: s.clientIds },
      summary: `${s.attempts} CONNECT attempt(s) refused (${s.kind}${s.limit ? `, per-${s.limit} limit` : ''}) from ${s.first} to ${s.last}`,
      after: {
        attempts: s.attempts,
        limit: s.limit,
        accessKeyId: s.accessKeyId ?? undefined,
        ip: s.ip,
        ips: s.ips,
        codes: s.codes,
        reasons: s.reasons,
        clientIds: s.clientIds,
        first: s.first,
        last: s.last,
        brokerNode: s.brokerNode,
      },
    },
  };
}
