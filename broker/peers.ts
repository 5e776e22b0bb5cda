// Is any other broker node of this cluster up? A node alone has nobody to carry its publishes
// to, and yet mqemitter-redis sent every one of them to Redis (a PUBLISH per message and per
// CONNECT's and disconnect's $SYS notice) and read each back on its own pattern subscription:
// a third of a fan-in message's CPU in the broker, and Redis' time besides. With `alone` set,
// local-emitter.ts delivers locally and sends nothing.
//
// The nodes announce themselves on `<REDIS_PREFIX>:mqtt:nodes`, on the emitter's own two
// connections (so "I hear the channel" means "my message subscription works"): a beat every
// BEAT_MS; at start a hello every node that hears it answers at once. A starting node waits
// for those answers (or HELLO_WAIT_MS) before it loads the subscriptions or takes a client, so
// an existing node knows of it before it could need a message from it. A node is alone only
// when all of these hold:
// - its subscription to the channel has been up for GRACE_MS (every live node beats within it),
//   and its own last beat came back to it within SELF_MAX_MS (a half-open connection is not
//   taken for a quiet cluster);
// - it heard no other node within PEER_TTL_MS (a node killed with kill -9 counts for that long);
// - aedes heard no other broker's `$SYS/<id>/heartbeat` within 3 heartbeats (aedes' own rule):
//   a node of an earlier version, which does not announce itself, still counts.
// - its last beat's PUBLISH reached exactly one subscriber of the channel (itself): a node whose
//   own beats have not come back yet (its publishing connection still waiting for a restarted
//   Redis) but which is subscribed again still counts;
// - the grace is at least one aedes heartbeat interval and a second (an earlier version's node
//   is heard at least once, by its heartbeat, before this one may go alone), and any message
//   another node sends through Redis (`heardForeign`, from local-emitter.ts: a birth, a
//   heartbeat, a client's publish) ends `alone` at once;
// - `alone` holds for ALONE_HOLD_MS after the tick that found it (`isAlone()`), less than a new
//   node's wait for answers: a node whose event loop stalled past that sends through Redis until
//   its next tick has read the channel again.
// The node's identity on the channel is its own per process (MQTT_NODE_ID plus a random part),
// so two processes started with one id never take each other's beats for their own.
// An alone node still sends its aedes heartbeat (`$SYS/<id>/heartbeat`) through Redis: an
// earlier version's node would otherwise take it for dead and publish its clients' wills.
// The subscription's loss (Redis away, restarting) ends `alone` at once; ioredis subscribes
// again when it reconnects and the grace starts over.
export const nodesChannel = (prefix: string) => `${prefix}:mqtt:nodes`;

const BEAT_MS = 1000;
const PEER_TTL_MS = 3500;
const GRACE_MS = 2500;
const SELF_MAX_MS = 2500;
const HELLO_WAIT_MS = 3000;
// How long a tick's finding holds: less than HELLO_WAIT_MS, so a node whose event loop stalled
// while a new node waited for its answer (and gave up) has stopped being alone when it resumes;
// more than a beat, so a busy but live loop whose timer runs late does not flap.
const ALONE_HOLD_MS = 2500;

export interface PeerConnections {
  pubConn: { publish(channel: string, message: string): Promise<number> };
  subConn: {
    subscribe(channel: string): Promise<unknown>;
    on(event: 'ready' | 'close', fn: () => void): unknown;
  };
}

interface AedesBrokers {
  id: string;
  brokers: Record<string, number>;
}

const now = () => performance.now(); // monotonic: a clock step never prunes every peer at once

export class Peers {
  /** What the last tick found (see isAlone, which every emit reads). */
  private found = false;
  /** told when a tick's finding differs from the last one told (for the log) */
  onChange: ((alone: boolean) => void) | null = null;
  private told = false;
  /** until when that finding holds (ALONE_HOLD_MS after its tick) */
  private aloneUntil = 0;
  /** subscribers the last beat's PUBLISH reached, and when it was sent */
  private lastBeat: { at: number; receivers: number } | null = null;
  readonly channel: string;
  private readonly others = new Map<string, number>();
  private readonly answered = new Set<string>();
  private subscribedAt: number | null = null;
  private selfAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private aedes: AedesBrokers | null = null;
  private heartbeatMs = 60_000;
  private onAnswer: (() => void) | null = null;
  private stopped = false;
  private foreignAt = -Infinity;

  constructor(
    private readonly conns: PeerConnections,
    prefix: string,
    readonly node: string,
  ) {
    this.channel = nodesChannel(prefix);
  }

  /** Read at every emit: true only when no other node can need this node's publishes. */
  isAlone(): boolean {
    return this.found && now() < this.aloneUntil;
  }

  /** A message another node sent through Redis (any topic): that node is up. */
  heardForeign() {
    this.found = false;
    this.foreignAt = now();
  }

  /** Subscribes, says hello and waits for the other nodes' answers (at most HELLO_WAIT_MS). */
  async start() {
    const { subConn, pubConn } = this.conns;
    subConn.on('close', () => {
      this.subscribedAt = null;
      this.found = false;
    });
    // ioredis subscribes again on reconnect, before 'ready'
    subConn.on('ready', () => {
      if (this.subscribedAt === null && !this.stopped) this.subscribedAt = now();
    });
    await subConn.subscribe(this.channel);
    this.subscribedAt = now();
    const receivers = await pubConn.publish(this.channel, `s|${this.node}`);
    // every receiver but this node itself answers
    if (receivers > 1)
      await new Promise<void>((resolve) => {
        let t: NodeJS.Timeout | undefined = undefined;
        const done = () => {
          clearTimeout(t);
          this.onAnswer = null;
          resolve();
        };
        t = setTimeout(done, HELLO_WAIT_MS);
        this.onAnswer = () => {
          if (this.answered.size >= receivers - 1) done();
        };
        // answers read before this line count too
        this.onAnswer();
      });
    this.timer = setInterval(() => this.tick(), BEAT_MS);
    this.timer.unref();
    this.tick();
  }

  /** aedes' heartbeats (`brokers`: id -> last heard) count too: an earlier version's nodes. */
  watch(aedes: AedesBrokers, heartbeatMs: number) {
    this.aedes = aedes;
    this.heartbeatMs = heartbeatMs;
  }

  /** A message on the channel (local-emitter.ts hands them over before any decoding). */
  onMessage(msg: string) {
    const [kind, from, to] = msg.split('|');
    if (!from) return;
    const t = now();
    if (from === this.node) {
      this.selfAt = t;
      return;
    }
    if (kind === 'x') {
      this.others.delete(from);
      return;
    }
    this.others.set(from, t);
    this.found = false;
    if (kind === 's') this.publish(`r|${this.node}|${from}`);
    else if (kind === 'r' && to === this.node) {
      this.answered.add(from);
      this.onAnswer?.();
    }
  }

  /** Says goodbye (the others need not wait PEER_TTL_MS) and stops beating; `alone` is false from now on. */
  stop() {
    this.stopped = true;
    this.found = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.publish(`x|${this.node}`);
  }

  private publish(msg: string) {
    this.conns.pubConn.publish(this.channel, msg).catch(() => {});
  }

  private tick() {
    if (this.stopped) return;
    const sent = now();
    this.conns.pubConn.publish(this.channel, `b|${this.node}`).then(
      (receivers) => {
        if (!this.lastBeat || sent >= this.lastBeat.at) this.lastBeat = { at: sent, receivers };
        // another subscriber of the channel: not alone, from now on
        if (receivers > 1) this.found = false;
      },
      () => {},
    );
    const t = now();
    for (const [node, at] of this.others) if (t - at > PEER_TTL_MS) this.others.delete(node);
    this.found =
      this.subscribedAt !== null &&
      t - this.subscribedAt >= Math.max(GRACE_MS, this.heartbeatMs + 1000) &&
      this.selfAt >= this.subscribedAt &&
      t - this.selfAt <= SELF_MAX_MS &&
      this.lastBeat !== null &&
      this.lastBeat.at >= this.subscribedAt &&
      this.lastBeat.receivers === 1 &&
      this.others.size === 0 &&
      t - this.foreignAt > PEER_TTL_MS &&
      !this.otherAedes();
    this.aloneUntil = t + ALONE_HOLD_MS;
    if (this.found !== this.told) {
      this.told = this.found;
      this.onChange?.(this.found);
    }
  }

  private otherAedes() {
    if (!this.aedes) return false;
    // aedes stamps `brokers` with Date.now()
    const wall = Date.now();
    for (const [id, at] of Object.entries(this.aedes.brokers))
      if (id !== this.aedes.id && at + 3 * this.heartbeatMs >= wall) return true;
    return false;
  }
}
