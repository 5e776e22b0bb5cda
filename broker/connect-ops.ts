// The small Redis operations of every CONNECT and disconnect (the registry version read, the
// clean-session probe, the presence claim and release, the P2P take, and the presence lookup and
// P2P keep that must stay ordered with them), and those of QoS 1 deliveries to persistent
// sessions (qos1-outgoing.ts: each one's packet identifier, each acknowledgement), sent in call
// order as one EVALSHA per batch instead of one command each. Without it a CONNECT cost four
// commands (GET, EXISTS and two EVALSHA), each an ioredis Command, a promise and its share of a pipeline write; a burst of connections cost
// one socket write per event-loop turn and stage.
//
// Batching is Nagle's algorithm for Redis operations: a batch leaves `delayMs` (1 ms) after the
// first operation that waits for it, or at the end of the turn once `eagerOps` operations wait,
// and at most one batch is in flight on the connection; what is asked for meanwhile waits for
// its reply and leaves in the next batch. A CONNECT thus waits at most about a millisecond more
// for its registry version and probe (its CONNACK), in exchange for a storm's operations leaving
// in few writes: at 5,000 CONNECTs a second a batch holds about 40 operations, where one batch
// per event-loop turn held 8 (bench/README.md, "Session 13"). At most `maxOps` operations go in
// one EVALSHA (longer queues leave in several, in order, one after the other).
//
// Order: every operation of this class runs in Redis in the order it was asked for (one
// connection, one batch at a time, each batch's operations in order in one script). Operations
// that must follow each other (a presence release after its claim, a lookup after a claim, a P2P
// take after a keep for the same target) therefore go through here together, never one of them on another connection.
// A version read asked for after a CONNECT arrived is sent after it arrived: it sees every
// registry change announced before (registry-view.ts).
//
// Each operation's result or failure is its own: an operation that fails in Redis (a key of the
// wrong type) fails alone and the rest of its batch goes on (pcall per operation); a batch that
// cannot be sent or answered (Redis away) fails each of its operations and every operation
// waiting behind it, which their callers handle as they handled a failed command before.
import type { Redis } from 'ioredis';

// ARGV holds the session store's four key parts (SessionKeyParts, below; empty strings when
// not given), then per operation its code and its arguments; KEYS the operations' keys, in the
// same order.
//   v key: GET                   x k1 k2: EXISTS k1 k2          h hash id: HGET
//   c hash id entry: HGET, HSET (the entry it replaced)
//   r hash id conn: HDEL when the entry is still that connection's (1) or not (0)
//   t list: LRANGE and DEL (the kept messages)      k list entry ttl: RPUSH, EXPIRE (1)
//   g hash: HGETALL (a flat list of fields and values)      n: nothing (settled(), below)
// and the QoS 1 outgoing queue's (qos1-outgoing.ts; ttl 0: no expiry), which name a session
// (its Client ID as its keys spell it) and a message (its queue entry) and no key: the script
// builds their keys from the key parts, so that an acknowledgement is two short arguments, not
// five keys of 50-70 bytes (ioredis builds, measures and writes each argument of a batch; at
// 40,000 acknowledgements a second that was a fifth of the broker's busy time):
//   s session entry id ttl: HSET <sent><session> entry id, EXPIRE it ttl (1)
//   a session entry: LREM <queue><session> 1 entry (the first from the head: acknowledgements
//     come mostly oldest first), HDEL <sent><session> entry, and <packet><entry><count> lowered by
//     the entries removed (a second acknowledgement of one message, under another identifier,
//     lowers nothing); it and the message (<packet><entry>) deleted at 0 or below (a count that
//     had expired leaves no key behind); returns the entries removed
// Each operation moves ki and ai past its keys and arguments before any call that can fail.
const OPS = `local out, ki, ai = {}, 1, 5
local QUEUE, SENT, PACKET, COUNT = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local function run(op)
  local k = KEYS[ki]
  if op == 'v' then ki = ki + 1 return redis.call('GET', k) end
  if op == 'g' then ki = ki + 1 return redis.call('HGETALL', k) end
  if op == 'n' then return 1 end
  if op == 's' then
    local hash, field, id, ttl = SENT .. ARGV[ai], ARGV[ai + 1], ARGV[ai + 2], tonumber(ARGV[ai + 3])
    ai = ai + 4
    redis.call('HSET', hash, field, id)
    if ttl > 0 then redis.call('EXPIRE', hash, ttl) end
    return 1
  end
  if op == 'a' then
    local session, entry = ARGV[ai], ARGV[ai + 1]
    ai = ai + 2
    local pkt = PACKET .. entry
    local count = pkt .. COUNT
    local n = redis.call('LREM', QUEUE .. session, 1, entry)
    redis.call('HDEL', SENT .. session, entry)
    -- a count already gone (the message expired) is made negative here and deleted at once
    if n > 0 and redis.call('DECRBY', count, n) <= 0 then redis.call('DEL', pkt, count) end
    return n
  end
  if op == 'x' then ki = ki + 2 return redis.call('EXISTS', k, KEYS[ki - 1]) end
  if op == 't' then
    ki = ki + 1
    local l = redis.call('LRANGE', k, 0, -1)
    if #l > 0 then redis.call('DEL', k) end
    return l
  end
  if op == 'h' then
    ki, ai = ki + 1, ai + 1
    return redis.call('HGET', k, ARGV[ai - 1])
  end
  local a, b = ARGV[ai], ARGV[ai + 1]
  ki, ai = ki + 1, ai + 2
  if op == 'c' then
    local prev = redis.call('HGET', k, a)
    redis.call('HSET', k, a, b)
    return prev
  end
  if op == 'r' then
    local cur = redis.call('HGET', k, a)
    if cur and cjson.decode(cur).conn == b then redis.call('HDEL', k, a) return 1 end
    return 0
  end
  if op == 'k' then
    redis.call('RPUSH', k, a)
    redis.call('EXPIRE', k, b)
    return 1
  end
  error('unknown operation ' .. tostring(op))
end
while ai <= #ARGV do
  local op = ARGV[ai]
  ai = ai + 1
  local ok, v = pcall(run, op)
  if ok then out[#out + 1] = v
  else out[#out + 1] = { err = type(v) == 'table' and v.err or tostring(v) } end
end
return out`;

const ignore = () => {};

/**
 * The session store's keys, as the QoS 1 operations build them: a session's queue
 * `<queue><session>`, its identifiers' hash `<sent><session>`, a message `<packet><entry>` and
 * its count `<packet><entry><count>` (qos1-outgoing.ts' sessionKeyParts).
 */
export interface SessionKeyParts {
  queue: string;
  sent: string;
  packet: string;
  count: string;
}
const NO_SESSIONS: SessionKeyParts = { queue: '', sent: '', packet: '', count: '' };

type Code = 'v' | 'x' | 'h' | 'c' | 'r' | 't' | 'k' | 'g' | 's' | 'a' | 'n';

interface Pending {
  code: Code;
  keys: string[];
  args: string[];
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class ConnectOps {
  private queue: Pending[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate = false;
  private readonly maxOps: number;
  private readonly delayMs: number;
  private readonly eagerOps: number;
  /** the QoS 1 operations' key parts (none: they are refused) */
  readonly sessions: SessionKeyParts | null;
  private readonly head: string[];
  private readonly script: { eslConnectOps(n: number, ...keysThenArgs: string[]): Promise<unknown[]> };
  /** batches sent so far (the tests read it) */
  batches = 0;

  /** operations waiting for a batch (not counting the one in flight) */
  get waiting() {
    return this.queue.length;
  }

  /**
   * `redis`: in the broker a connection of this class's own, without auto-pipelining (a batch
   * is written as soon as it is sent; ioredis' pipeline would hold it one more turn). Elsewhere
   * (a Presence for lookups only, e.g. the web process's) any connection does.
   */
  constructor(
    redis: Redis,
    opts: { maxOps?: number; delayMs?: number; eagerOps?: number; sessions?: SessionKeyParts } = {},
  ) {
    this.sessions = opts.sessions ?? null;
    const parts = this.sessions ?? NO_SESSIONS;
    this.head = [parts.queue, parts.sent, parts.packet, parts.count];
    this.maxOps = opts.maxOps ?? 500;
    this.delayMs = opts.delayMs ?? 1;
    this.eagerOps = Math.min(opts.eagerOps ?? 256, this.maxOps);
    redis.defineCommand('eslConnectOps', { lua: OPS });
    this.script = redis as unknown as ConnectOps['script'];
  }

  /** GET */
  get(key: string): Promise<string | null> {
    return this.push('v', [key], []) as Promise<string | null>;
  }

  /** EXISTS of two keys: how many of them exist */
  exists(a: string, b: string): Promise<number> {
    return this.push('x', [a, b], []) as Promise<number>;
  }

  /** HGET: ordered after the claims and releases asked for before it */
  hget(hash: string, field: string): Promise<string | null> {
    return this.push('h', [hash], [field]) as Promise<string | null>;
  }

  /** Sets the hash field; returns the value it replaced. */
  claim(hash: string, field: string, entry: string): Promise<string | null> {
    return this.push('c', [hash], [field, entry]) as Promise<string | null>;
  }

  /** Deletes the field if its JSON value's `conn` is `conn`: 1 deleted, 0 not. */
  release(hash: string, field: string, conn: string): Promise<number> {
    return this.push('r', [hash], [field, conn]) as Promise<number>;
  }

  /** The list's entries, the list deleted (atomically: two nodes never both take them). */
  take(list: string): Promise<string[]> {
    return this.push('t', [list], []) as Promise<string[]>;
  }

  /** RPUSH and EXPIRE (seconds). */
  keep(list: string, entry: string, ttlSeconds: number): Promise<number> {
    return this.push('k', [list], [entry, String(ttlSeconds)]) as Promise<number>;
  }

  /** HGETALL: the hash as an object */
  async hgetall(hash: string): Promise<Record<string, string>> {
    const flat = (await this.push('g', [hash], [])) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  }

  /** A session's packet identifier of a message (the 's' operation above; ttl 0: no expiry). */
  recordSent(session: string, entry: string, id: string, ttlSeconds: number) {
    return this.push('s', [], this.qos1([session, entry, id, String(ttlSeconds)]));
  }

  /** One session's acknowledgement of a stored message (the 'a' operation above): entries removed. */
  acked(session: string, entry: string) {
    return this.push('a', [], this.qos1([session, entry])) as Promise<number>;
  }

  /**
   * As recordSent and acked, for a caller that ignores the outcome: no promise is made (QoS 1
   * deliveries queue thousands a second).
   */
  recordSentLater(session: string, entry: string, id: string, ttlSeconds: number) {
    this.later('s', this.qos1([session, entry, id, String(ttlSeconds)]));
  }

  ackedLater(session: string, entry: string) {
    this.later('a', this.qos1([session, entry]));
  }

  /**
   * Resolves once every operation asked for so far has run in Redis (or failed): a no-op, which
   * runs after them. A clean stop waits for it before the connection closes.
   */
  async settled(): Promise<void> {
    await this.push('n', [], []);
  }

  private qos1(args: string[]) {
    if (!this.sessions) throw new Error('ConnectOps: QoS 1 operations need the session store’s key parts');
    return args;
  }

  private later(code: Code, args: string[]) {
    this.queue.push({ code, keys: [], args, resolve: ignore, reject: ignore });
    this.schedule();
  }

  private push(code: Code, keys: string[], args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ code, keys, args, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The next batch leaves `delayMs` after the first operation waiting for it, or at the end of
   * this turn once `eagerOps` wait; none while one is in flight (its reply schedules the next).
   */
  private schedule() {
    if (this.inFlight || !this.queue.length || this.immediate) return;
    if (this.queue.length >= this.eagerOps || this.delayMs <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = true;
      setImmediate(() => this.send());
    } else {
      this.timer ??= setTimeout(() => this.send(), this.delayMs);
    }
  }

  private send() {
    this.immediate = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight || !this.queue.length) return;
    const batch = this.queue.splice(0, this.maxOps);
    const keys: string[] = [];
    const argv: string[] = [...this.head];
    // a batch's reads of one version key share one GET: it is sent after each of them was asked for
    const gets = new Map<string, number>();
    /** each operation's place in the script's reply */
    const slot: number[] = [];
    let sent = 0;
    for (const p of batch) {
      if (p.code === 'v') {
        const seen = gets.get(p.keys[0]);
        if (seen !== undefined) {
          slot.push(seen);
          continue;
        }
        gets.set(p.keys[0], sent);
      }
      slot.push(sent++);
      keys.push(...p.keys);
      argv.push(p.code, ...p.args);
    }
    this.inFlight = true;
    this.batches++;
    this.script.eslConnectOps(keys.length, ...keys, ...argv).then(
      (out) => {
        for (let i = 0; i < batch.length; i++) {
          const v = out[slot[i]];
          if (v instanceof Error) batch[i].reject(v);
          else batch[i].resolve(v);
        }
        this.next();
      },
      (err: unknown) => {
        // the connection failed the batch as a whole (Redis away: ioredis gave up on its offline
        // queue): what waits behind it fails now too, as those commands would have in ioredis'
        // queue, rather than one batch of maxOps per give-up (tens of seconds apart)
        for (const p of [...batch, ...this.queue.splice(0)]) p.reject(err);
        this.next();
      },
    );
  }

  /**
   * The reply's continuations run first (their next operations join the next batch), then the
   * next batch leaves.
   */
  private next() {
    this.inFlight = false;
    this.schedule();
  }
}
