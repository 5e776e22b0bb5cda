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

// LRANGE and DEL in one script: atomic like MULTI, but a single EVALSHA that auto-pipelining
// batches with the other CONNECTs' commands (a MULTI is a pipeline and a socket write of its own,
// and this runs at every CONNECT). DEL only when there is something, the usual case being nothing.
const TAKE = `local l = redis.call('LRANGE', KEYS[1], 0, -1)
if #l > 0 then redis.call('DEL', KEYS[1]) end
return l`;

export class P2pStore {
  private readonly scripts: { eslP2pTake(k: string): Promise<string[]> };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    redis.defineCommand('eslP2pTake', { numberOfKeys: 1, lua: TAKE });
    this.scripts = redis as unknown as P2pStore['scripts'];
  }

  private key(clientId: string) {
    return `${this.prefix}:mqtt:p2p:${clientId}`;
  }

  async keep(clientId: string, topic: string, payload: Buffer) {
    const e: StoredP2p = {
      topic,
      payload: payload.toString('base64'),
      qos: 1,
      exp: Date.now() + this.retentionSeconds * 1000,
    };
    await this.redis
      .multi()
      .rpush(this.key(clientId), JSON.stringify(e))
      .expire(this.key(clientId), this.retentionSeconds)
      .exec();
  }

  /** Takes every unexpired message kept for the target (atomically, so two nodes never both deliver). */
  async take(clientId: string): Promise<StoredP2p[]> {
    const list = await this.scripts.eslP2pTake(this.key(clientId));
    const now = Date.now();
    return list.map((s) => JSON.parse(s) as StoredP2p).filter((e) => e.exp > now);
  }
}
