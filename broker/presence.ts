// Which Client IDs are connected right now, cluster-wide, in one Redis hash. Each entry
// names the node and the connection, so a take-over on any node is seen by the others
// and a stale entry of a dead node is ignored (nodes keep a heartbeat key alive).
import type { Redis } from 'ioredis';

export interface PresenceEntry {
  node: string;
  conn: string;
  ip: string | null;
  at: string;
}

// Sets the entry, returns the previous one (a take-over when it is still alive).
const CLAIM = `local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return prev`;
// Deletes the entry only if it is still this connection's: 1 removed, 0 taken over meanwhile.
const RELEASE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if cjson.decode(cur).conn == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0`;

export class Presence {
  private readonly hash: string;
  private readonly nodeKey: (node: string) => string;
  private timer: NodeJS.Timeout | null = null;

  private readonly scripts: {
    eslPresenceClaim(k: string, id: string, e: string): Promise<string | null>;
    eslPresenceRelease(k: string, id: string, conn: string): Promise<number>;
  };

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly node: string,
    private readonly heartbeatSeconds = 10,
  ) {
    this.hash = `${prefix}:mqtt:online`;
    this.nodeKey = (n) => `${prefix}:mqtt:node:${n}`;
    // EVALSHA: the script text is not sent again on every CONNECT
    redis.defineCommand('eslPresenceClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('eslPresenceRelease', { numberOfKeys: 1, lua: RELEASE });
    this.scripts = redis as unknown as Presence['scripts'];
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

  /** Claims the Client ID for this connection; returns the live entry it replaced, if any. */
  async claim(clientId: string, e: PresenceEntry): Promise<PresenceEntry | null> {
    const r = await this.claimReplacing(clientId, e);
    return r && r.heartbeat ? r.prev : null;
  }

  /** Claims the Client ID; returns the entry it replaced (of another connection) and whether its node still beats. */
  async claimReplacing(
    clientId: string,
    e: PresenceEntry,
  ): Promise<{ prev: PresenceEntry; heartbeat: boolean } | null> {
    const prev = parse(await this.scripts.eslPresenceClaim(this.hash, clientId, JSON.stringify(e)));
    if (!prev || prev.conn === e.conn) return null;
    return { prev, heartbeat: await this.alive(prev.node) };
  }

  /** True when the entry was this connection's (false: another connection took the Client ID over). */
  async release(clientId: string, conn: string): Promise<boolean> {
    return (await this.scripts.eslPresenceRelease(this.hash, clientId, conn)) === 1;
  }

  /** The live connection of a Client ID on any node, or null (QuerySessionByClientId). */
  async lookup(clientId: string): Promise<PresenceEntry | null> {
    const e = parse(await this.redis.hget(this.hash, clientId));
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
