// P2P messages kept for an offline target (the seed: only when the sender's session is
// persistent). One Redis list per target, so any node delivers them when the target returns;
// each entry carries its own expiry and the list expires with the retention.
import type { ConnectOps } from './connect-ops.js';

export interface StoredP2p {
  topic: string;
  payload: string; // base64
  qos: 1;
  exp: number;
}

// Keep and take go through the CONNECTs' batched operations (connect-ops.ts): a take runs at
// every CONNECT, and a keep for a target whose CONNACK is not yet sent must reach Redis before
// that target's take (both in one ordered stream of operations).
export class P2pStore {
  constructor(
    private readonly ops: ConnectOps,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

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
    await this.ops.keep(this.key(clientId), JSON.stringify(e), this.retentionSeconds);
  }

  /** Takes every unexpired message kept for the target (atomically, so two nodes never both deliver). */
  async take(clientId: string): Promise<StoredP2p[]> {
    const list = await this.ops.take(this.key(clientId));
    const now = Date.now();
    return list.map((s) => JSON.parse(s) as StoredP2p).filter((e) => e.exp > now);
  }
}
