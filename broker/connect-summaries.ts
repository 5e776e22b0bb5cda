// Refused CONNECTs, summarised: a storm of bad or revoked credentials, or of attempts over the
// rate limit, must not write one hash-chained audit record per attempt. Attempts are counted per
// kind and AccessKey (or, without one, per IP) and every period the counts go to the backend as
// one job (event-queues.ts), which audits one record per entry. The first attempt of an entry in
// a period is logged at warn (with the key and the IP), the rest only counted.
import type { Logger } from '../server/core/logger.js';
import type { EventQueues } from './event-queues.js';
import type { ConnectSummary } from './uplink.js';

/** Entries per period beyond this are folded into one entry without key and IP. */
const MAX_ENTRIES = 200;
const MAX_LISTED = 10;

export interface RefusedAttempt {
  kind: ConnectSummary['kind'];
  limit?: ConnectSummary['limit'];
  accessKeyId: string | null;
  ip: string | null;
  clientId: string;
  code: number;
  reason: string;
}

export class ConnectSummaries {
  private entries = new Map<string, ConnectSummary>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly queues: Pick<EventQueues, 'addConnectSummaries'>,
    private readonly log: Logger,
    private readonly node: string,
    private readonly periodSeconds: number,
  ) {}

  start() {
    this.timer = setInterval(() => void this.flush(), this.periodSeconds * 1000);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  add(a: RefusedAttempt, now = new Date()) {
    const subject = a.accessKeyId !== null && a.limit !== 'ip' ? `k:${a.accessKeyId}` : `ip:${a.ip}`;
    let key = `${a.kind}|${a.limit ?? ''}|${subject}`;
    let e = this.entries.get(key);
    if (!e && this.entries.size >= MAX_ENTRIES) {
      key = `${a.kind}|${a.limit ?? ''}|*`;
      e = this.entries.get(key);
    }
    const at = now.toISOString();
    if (!e) {
      const folded = key.endsWith('|*');
      e = {
        kind: a.kind,
        ...(a.limit ? { limit: a.limit } : {}),
        accessKeyId: folded || a.limit === 'ip' ? null : a.accessKeyId,
        ip: folded ? null : a.ip,
        ips: [],
        attempts: 0,
        codes: {},
        reasons: {},
        clientIds: [],
        first: at,
        last: at,
        brokerNode: this.node,
      };
      this.entries.set(key, e);
      const msg =
        a.kind === 'rate_limited'
          ? `CONNECT over the per-${a.limit === 'ip' ? 'IP' : 'AccessKey'} rate limit: refused with CONNACK 3`
          : a.kind === 'revoked_credential'
            ? 'CONNECT with a revoked credential refused'
            : 'CONNECT refused';
      this.log.warn({ accessKeyId: a.accessKeyId, ip: a.ip, clientId: a.clientId, code: a.code }, msg);
    }
    e.attempts++;
    e.last = at;
    e.codes[String(a.code)] = (e.codes[String(a.code)] ?? 0) + 1;
    if (a.reason in e.reasons || Object.keys(e.reasons).length < MAX_LISTED)
      e.reasons[a.reason] = (e.reasons[a.reason] ?? 0) + 1;
    if (a.ip && e.ips.length < MAX_LISTED && !e.ips.includes(a.ip)) e.ips.push(a.ip);
    if (e.clientIds.length < MAX_LISTED && !e.clientIds.includes(a.clientId)) e.clientIds.push(a.clientId);
  }

  /** Sends the period's entries (one job); an entry that could not be queued is kept for the next try. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.entries.size) return;
      const batch = this.entries;
      this.entries = new Map();
      try {
        await this.queues.addConnectSummaries([...batch.values()]);
      } catch (err) {
        this.log.error(
          { err, entries: batch.size },
          'refused-CONNECT summaries not queued; kept for the next period',
        );
        for (const [k, v] of batch) {
          const cur = this.entries.get(k);
          if (!cur) this.entries.set(k, v);
          else Object.assign(cur, { attempts: cur.attempts + v.attempts, first: v.first });
        }
      }
    });
    return this.flushing;
  }
}
