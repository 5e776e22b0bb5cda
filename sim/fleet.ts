// A fleet of simulated APs: per Group ID, `apsPerGroup` APs sharing its labels round-robin.
// Used by `npm run sim`, the demo fleet and the end-to-end benchmark.
import { hmacB64 } from '../broker/index.js';
import { SimAp, type SimApOptions } from './sim-ap.js';

/** Signature auth (ap-protocol.md): one AccessKey for the whole fleet. */
export interface FleetCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  instanceId: string;
}

/** Device-credential auth (ap-protocol.md): one secret per Client ID, as real APs carry. */
export interface FleetDeviceCredentials {
  instanceId: string;
  byClientId: Map<string, { deviceAccessKeyId: string; deviceAccessKeySecret: string }>;
}

export interface FleetOptions {
  url: string;
  parentTopic: string;
  groups: Map<string, string[]>;
  apsPerGroup: number;
  credentials?: FleetCredentials;
  /** wins over `credentials` for the Client IDs it names */
  deviceCredentials?: FleetDeviceCredentials;
  /** prefix of the Device IDs, e.g. 'SIM' -> GID_x@@@SIM-0 */
  devicePrefix?: string;
  knobs?: Partial<SimApOptions>;
  /** the first N APs of each group are image-capable (caps ["image/png"]) */
  imageAps?: number;
  /** label command capabilities every AP declares, e.g. ['led', 'page'] (docs/ap-protocol.md section 12) */
  commandCaps?: string[];
  /** Client IDs left out of the fleet (an AP whose credential an admin revoked, say) */
  exclude?: ReadonlySet<string>;
  /** go offline for offlineForMs every offlineEveryMs (per AP, staggered), 0 = never */
  offlineEveryMs?: number;
  offlineForMs?: number;
}

export class Fleet {
  readonly aps: SimAp[] = [];
  private timers: NodeJS.Timeout[] = [];

  /** The Client IDs a fleet of these groups will use (to issue device credentials first). */
  static clientIds(groupIds: Iterable<string>, apsPerGroup: number, devicePrefix = 'SIM'): string[] {
    return [...groupIds].flatMap((g) =>
      Array.from({ length: apsPerGroup }, (_, k) => `${g}@@@${devicePrefix}-${k}`),
    );
  }

  constructor(private readonly o: FleetOptions) {
    for (const [groupId, labels] of o.groups) {
      Fleet.clientIds([groupId], o.apsPerGroup, o.devicePrefix).forEach((clientId, k) => {
        if (o.exclude?.has(clientId)) return;
        this.aps.push(
          new SimAp({
            url: o.url,
            clientId,
            parentTopic: o.parentTopic,
            ...this.login(clientId),
            labels: labels.filter((_, i) => i % o.apsPerGroup === k),
            ...o.knobs,
            ...this.capsOf(k),
          }),
        );
      });
    }
  }

  private capsOf(k: number): { caps?: string[] } {
    const caps = [...(k < (this.o.imageAps ?? 0) ? ['image/png'] : []), ...(this.o.commandCaps ?? [])];
    return caps.length ? { caps } : {};
  }

  private login(clientId: string): { username?: string; password?: string } {
    const dc = this.o.deviceCredentials;
    const mine = dc?.byClientId.get(clientId);
    if (dc && mine) {
      return {
        username: `DeviceCredential|${mine.deviceAccessKeyId}|${dc.instanceId}`,
        password: hmacB64(mine.deviceAccessKeySecret, clientId),
      };
    }
    const c = this.o.credentials;
    return c
      ? {
          username: `Signature|${c.accessKeyId}|${c.instanceId}`,
          password: hmacB64(c.accessKeySecret, clientId),
        }
      : {};
  }

  /**
   * Connects the APs, `concurrency` at a time. Without `onRefused` an AP that cannot connect fails
   * the start; with it, that AP is reported, left out of the fleet, and the others run.
   */
  async start(concurrency = 20, onRefused?: (clientId: string, err: Error) => void) {
    const refused = new Set<SimAp>();
    for (let i = 0; i < this.aps.length; i += concurrency) {
      const batch = this.aps.slice(i, i + concurrency);
      const results = await Promise.allSettled(batch.map((a) => a.start()));
      results.forEach((r, k) => {
        if (r.status === 'fulfilled') return;
        if (!onRefused) throw r.reason;
        refused.add(batch[k]);
        onRefused(batch[k].opts.clientId, r.reason as Error);
      });
    }
    if (refused.size) this.aps.splice(0, this.aps.length, ...this.aps.filter((a) => !refused.has(a)));
    const every = this.o.offlineEveryMs ?? 0;
    if (every > 0) {
      this.aps.forEach((ap, i) => {
        const t = setTimeout(
          () => {
            const loop = setInterval(
              () => void ap.offlineFor(this.o.offlineForMs ?? 5000).catch(() => {}),
              every,
            );
            this.timers.push(loop);
          },
          (every / this.aps.length) * i,
        );
        this.timers.push(t);
      });
    }
  }

  totals() {
    const t = {
      online: 0,
      aps: this.aps.length,
      messages: 0,
      applied: 0,
      failed: 0,
      redelivered: 0,
      expired: 0,
      acks: 0,
      statuses: 0,
      p2p: 0,
    };
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
