// CONNECT rate limits: a token bucket per AccessKey (or device credential) and one per client
// IP, in this node's memory. A CONNECT takes one token from each of its buckets, and only when
// both have one, so attempts refused by one limit do not drain the other. Kept in memory rather
// than in Redis: no round trip is added to a CONNECT, the limit holds while Redis is away (when
// reconnect storms are likeliest), and what it protects (the node's CPU, the registry reads, the
// audit chain) is per node anyway. Behind a load balancer the cluster-wide rate is the sum of
// the nodes' rates; a restarted node starts with full buckets.
export interface BucketLimit {
  /** tokens added per second; 0 = no limit */
  ratePerSecond: number;
  /** the bucket's size: attempts allowed at once after a quiet spell */
  burst: number;
}

/** Buckets beyond this are pruned (full ones first, then the oldest: they restart full). */
const MAX_BUCKETS = 100_000;

class Buckets {
  private readonly m = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: BucketLimit) {}

  get on() {
    return this.limit.ratePerSecond > 0;
  }

  /** The bucket refilled up to now (created full). */
  private level(key: string, now: number) {
    let b = this.m.get(key);
    if (!b) {
      if (this.m.size >= MAX_BUCKETS) this.prune(now);
      b = { tokens: this.limit.burst, at: now };
      this.m.set(key, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.ratePerSecond);
      b.at = now;
    }
    return b;
  }

  has(key: string, now: number) {
    return this.level(key, now).tokens >= 1;
  }

  take(key: string, now: number) {
    this.level(key, now).tokens -= 1;
  }

  prune(now: number) {
    for (const [k, b] of this.m) {
      if (b.tokens + ((now - b.at) / 1000) * this.limit.ratePerSecond >= this.limit.burst) this.m.delete(k);
    }
    // still too many partly drained buckets (a flood from many IPs): forget the oldest half
    if (this.m.size >= MAX_BUCKETS) {
      let drop = this.m.size / 2;
      for (const k of this.m.keys()) {
        if (drop-- <= 0) break;
        this.m.delete(k);
      }
    }
  }
}

export class ConnectLimits {
  private readonly perKey: Buckets;
  private readonly perIp: Buckets;

  constructor(limits: { perKey: BucketLimit; perIp: BucketLimit }) {
    this.perKey = new Buckets(limits.perKey);
    this.perIp = new Buckets(limits.perIp);
  }

  /** null: admitted (a token taken from each bucket); else the limit that refused it. */
  admit(accessKeyId: string | null, ip: string | null, now = Date.now()): 'accessKey' | 'ip' | null {
    const key = accessKeyId !== null && this.perKey.on ? accessKeyId : null;
    const addr = ip !== null && this.perIp.on ? ip : null;
    if (key !== null && !this.perKey.has(key, now)) return 'accessKey';
    if (addr !== null && !this.perIp.has(addr, now)) return 'ip';
    if (key !== null) this.perKey.take(key, now);
    if (addr !== null) this.perIp.take(addr, now);
    return null;
  }
}
