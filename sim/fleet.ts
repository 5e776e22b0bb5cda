// A fleet of simulated APs: per Group ID, `apsPerGroup` APs sharing its labels round-robin.
// Used by `npm run sim`, the demo fleet and the end-to-end benchmark.
import { hmacB64 } from '../broker/index.js';
import { SimAp, type SimApOptions } from './sim-ap.js';

export interface FleetCredentials {
  /** Signature auth (ap-protocol.md): one AccessKey for the whole fleet */
  accessKeyId: string;
  accessKeySecret: string;
  instanceId: string;
}

export interface FleetOptions {
  url: string;
  parentTopic: string;
  groups: Map<string, string[]>;
  apsPerGroup: number;
  credentials?: FleetCredentials;
  /** prefix of the Device IDs, e.g. 'SIM' -> GID_x@@@SIM-0 */
  devicePrefix?: string;
  knobs?: Partial<SimApOptions>;
  /** go offline for offlineForMs every offlineEveryMs (per AP, staggered), 0 = never */
  offlineEveryMs?: number;
  offlineForMs?: number;
}

export class Fleet {
  readonly aps: SimAp[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: FleetOptions) {
    for (const [groupId, labels] of o.groups) {
      for (let k = 0; k < o.apsPerGroup; k++) {
        const clientId = `${groupId}@@@${o.devicePrefix ?? 'SIM'}-${k}`;
        const c = o.credentials;
        this.aps.push(
          new SimAp({
            url: o.url, clientId, parentTopic: o.parentTopic,
            username: c ? `Signature|${c.accessKeyId}|${c.instanceId}` : undefined,
            password: c ? hmacB64(c.accessKeySecret, clientId) : undefined,
            labels: labels.filter((_, i) => i % o.apsPerGroup === k),
            ...o.knobs,
          }),
        );
      }
    }
  }

  async start(concurrency = 20) {
    for (let i = 0; i < this.aps.length; i += concurrency) await Promise.all(this.aps.slice(i, i + concurrency).map((a) => a.start()));
    const every = this.o.offlineEveryMs ?? 0;
    if (every > 0) {
      this.aps.forEach((ap, i) => {
        const t = setTimeout(() => {
          const loop = setInterval(() => void ap.offlineFor(this.o.offlineForMs ?? 5000).catch(() => {}), every);
          this.timers.push(loop);
        }, (every / this.aps.length) * i);
        this.timers.push(t);
      });
    }
  }

  totals() {
    const t = { online: 0, aps: this.aps.length, messages: 0, applied: 0, failed: 0, redelivered: 0, expired: 0, acks: 0, statuses: 0, p2p: 0 };
    for (const a of this.aps) {
      if (a.online) t.online++;
      for (const k of Object.keys(a.counters) as (keyof typeof a.counters)[]) t[k] += a.counters[k];
    }
    return t;
  }

  progressLine() {
    const t = this.totals();
    return `APs online ${t.online}/${t.aps} | messages ${t.messages} (p2p ${t.p2p}, redelivered ${t.redelivered}, expired ${t.expired}) | labels applied ${t.applied} failed ${t.failed} | acks ${t.acks} | status ${t.statuses}`;
  }

  async stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await Promise.all(this.aps.map((a) => a.stop()));
  }
}
