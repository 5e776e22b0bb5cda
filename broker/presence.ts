// Which Client IDs are connected right now, cluster-wide, in one Redis hash. Each entry
// names the node and the connection, so a take-over on any node is seen by the others
// and a stale entry of a dead node is ignored (nodes keep a heartbeat key alive).
import type { Redis } from 'ioredis';
import { ConnectOps } from './connect-ops.js';

export interface PresenceEntry {
  node: string;
  conn: string;
  ip: string | null;
  at: string;
}

export class Presence {
  private readonly hash: string;
  private readonly nodeKey: (node: string) => string;
  private timer: NodeJS.Timeout | null = null;
  /** claims and releases: batched with the CONNECTs' other operations, in order (connect-ops.ts) */
  private readonly ops: ConnectOps;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly node: string,
    private readonly heartbeatSeconds = 10,
    ops?: ConnectOps,
  ) {
    this.hash = `${prefix}:mqtt:online`;
    this.nodeKey = (n) => `${prefix}:mqtt:node:${n}`;
    this.ops = ops ?? new ConnectOps(redis);
  }

  /**
   * Marks the node alive and forgets the entries a previous run of this node left behind
   * (it died with those clients connected); returns them, so their loss can be recorded.
   */
  async start(): Promise<{ clientId: string; entry: PresenceEntry }[]> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => {}), this.heartbeatSeconds * 1000);
    this.timer.unref();
    const all = await this.redis.hgetall(this.hash);
    const mine = Object.entries(all)
      .map(([clientId, v]) => ({ clientId, entry: parse(v) }))
      .filter((x): x is { clientId: string; entry: PresenceEntry } => x.entry?.node === this.node);
    if (mine.length) await this.redis.hdel(this.hash, ...mine.map((m) => m.clientId));
    return mine;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis.del(this.nodeKey(this.node)).catch(() => {});
  }

  private beat() {
    return this.redis.set(this.nodeKey(this.node), '1', 'EX', this.heartbeatSeconds * 3);
  }

  /** Claims the Client ID; returns the entry it replaced (of another connection) and whether its node still beats. */
  async claimReplacing(
    clientId: string,
    e: PresenceEntry,
  ): Promise<{ prev: PresenceEntry; heartbeat: boolean } | null> {
    const prev = parse(await this.ops.claim(this.hash, clientId, JSON.stringify(e)));
    if (!prev || prev.conn === e.conn) return null;
    return { prev, heartbeat: await this.alive(prev.node) };
  }

  /** True when the entry was this connection's (false: another connection took the Client ID over). */
  async release(clientId: string, conn: string): Promise<boolean> {
    return (await this.ops.release(this.hash, clientId, conn)) === 1;
  }

  /** The live connection of a Client ID on any node, or null (QuerySessionByClientId). */
  async lookup(clientId: string): Promise<PresenceEntry | null> {
    // through the batched operations: a claim of this node asked for before is answered first
    const e = parse(await this.ops.hget(this.hash, clientId));
    return e && (await this.alive(e.node)) ? e : null;
  }

  /** Whether a broker node keeps its heartbeat (a node stopped or killed loses it within 3 beats). */
  async alive(node: string) {
    return node === this.node || (await this.redis.exists(this.nodeKey(node))) === 1;
  }
}

function parse(v: string | null | undefined): PresenceEntry | null {
  if (!v) return null;
  try {
    return JSON.parse(v) as PresenceEntry;
  } catch {
    return null;
  }
}
