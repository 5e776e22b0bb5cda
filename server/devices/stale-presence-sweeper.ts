// A broker node that dies (killed, machine lost) sends no disconnect events: its APs would stay
// "online" in MySQL for good. Every SWEEP_MS this sweep (worker role) looks at the nodes that
// online APs are recorded on; a node without its heartbeat (broker/presence.ts: gone within three
// beats) has its APs marked offline with reason node_lost, a connection-history row each and
// one audit record for the node, in one transaction. A node restarted under the same MQTT_NODE_ID records its own left-overs as lost
// (broker-service.ts), since its heartbeat is back. Several workers may sweep at once: the rows
// are locked and only those still online are changed and audited.
import { Presence } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Config } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { throttledLog } from '../core/throttle.js';
import { withTx } from '../db/pool.js';
import { recordApsOffline } from '../webhooks/events.js';
import { markNodeLost, onlineNodes } from './aps-repo.js';
import type { HistoryRow } from './connection-history.js';
import { addChurn, insertHistory } from './connection-history-repo.js';

const SWEEP_MS = 15_000;

export class StalePresenceSweeper implements Service {
  readonly name = 'stale-presence-sweeper';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly presence: Presence;
  private readonly failed: ReturnType<typeof throttledLog>;

  constructor(
    private readonly ctx: Pick<AppContext, 'pool' | 'redis' | 'log'> & {
      config: Pick<Config, 'REDIS_PREFIX'>;
    },
  ) {
    // only asked whether other nodes are alive; this one never claims or beats
    this.presence = new Presence(ctx.redis, ctx.config.REDIS_PREFIX, 'stale-presence-sweeper');
    this.failed = throttledLog(
      ctx.log,
      'error',
      'stale presence sweep failed; it runs again every 15 s',
      60_000,
    );
  }

  async start() {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) =>
          this.failed({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }),
        )
        .finally(() => (this.running = null));
    }, SWEEP_MS);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sweep; returns the APs marked offline. */
  async sweep(): Promise<number> {
    let n = 0;
    for (const node of await onlineNodes(this.ctx.pool)) {
      if (await this.presence.alive(node)) continue;
      const at = new Date();
      const lost = await withTx(this.ctx.pool, async (c) => {
        const rows = await markNodeLost(c, node, at);
        if (!rows.length) return 0;
        await recordApsOffline(c, rows, 'node_lost', at);
        const history: HistoryRow[] = rows.map((r) => ({
          at,
          clientId: r.clientId,
          groupId: r.groupId,
          kind: 'disconnect',
          reason: 'node_lost',
          brokerNode: node,
          previousNode: null,
          credentialKind: null,
          accessKeyId: null,
          ip: r.ip,
          cleanSession: null,
        }));
        await insertHistory(c, history);
        await addChurn(c, history);
        // the chain append is the transaction's last statement (audit-repo.ts): one record for
        // the node, naming its APs; each AP's disconnect is in the connection history
        await appendAudit(c, SYSTEM_ACTOR, [
          {
            action: 'broker.node_lost',
            objectType: 'broker_node',
            objectId: node,
            refs: { node, ap: rows.slice(0, 100).map((r) => r.clientId) },
            summary: `broker node ${node} stopped answering; its ${rows.length} AP(s) are no longer connected through it`,
            after: { at: at.toISOString(), reason: 'node_lost', aps: rows.length },
          },
        ]);
        return rows.length;
      });
      if (lost) this.ctx.log.warn({ node, aps: lost }, 'broker node lost: its APs marked offline');
      n += lost;
    }
    return n;
  }
}
