// P2P messages kept for an offline target (the seed: only when the sender's session is
// persistent). One Redis list per target, so any node delivers them when the target returns;
// each entry carries its own expiry and the list expires with the retention.
import type { Redis } from 'ioredis';

export interface StoredP2p {
  topic: string;
  payload: string; // base64
  qos: 1;
  exp: number;
}

export class P2pStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  private key(clientId: string) {
    return `${this.prefix}:mqtt:p2p:${clientId}`;
  }

  async keep(clientId: string, topic: string, payload: Buffer) {
    const e: StoredP2p = { topic, payload: payload.toString('base64'), qos: 1, exp: Date.now() + this.retentionSeconds * 1000 };
    await this.redis.multi().rpush(this.key(clientId), JSON.stringify(e)).expire(this.key(clientId), this.retentionSeconds).exec();
  }

  /** Takes every unexpired message kept for the target (atomically, so two nodes never both deliver). */
  async take(clientId: string): Promise<StoredP2p[]> {
    const res = await this.redis.multi().lrange(this.key(clientId), 0, -1).del(this.key(clientId)).exec();
    const list = (res?.[0]?.[1] as string[] | undefined) ?? [];
    const now = Date.now();
    return list.map((s) => JSON.parse(s) as StoredP2p).filter((e) => e.exp > now);
  }
}
