// Live views pushed, computed once: every open task page or dashboard is a listener of a topic
// (`task:12:1:` = task 12, page 1, no state filter; `dashboard`). Each tick one process of the
// whole platform wins the topic's Redis lock (SET NX PX), computes the snapshot (the queries)
// and publishes it on the topic's channel; every web process subscribed to it hands the
// snapshot to its local listeners, which format it for their reader (language, time zone) with
// no query. So the database sees one computation per topic and tick, however many people and
// processes watch. A new listener gets the last snapshot at once (or the one being computed).
// Without Redis each process computes for its own listeners, still once per topic and tick.
import crypto from 'node:crypto';
import v8 from 'node:v8';
import type { Redis } from 'ioredis';
import type { Service } from './lifecycle.js';
import type { Logger } from './logger.js';
import { redisErrorLogger } from './redis.js';

/** Listeners served per turn of the event loop when a snapshot arrives. */
const DELIVERY_SLICE = 25;

export interface LiveTopic<T> {
  /** The snapshot: the only place a topic's queries run. */
  compute(): Promise<T>;
  intervalMs: number;
  /** A final snapshot (a task that has ended): pushed, then the topic stops ticking. */
  final?(value: T): boolean;
}

interface Listener {
  value(v: unknown): void;
  error(err: unknown): void;
}

interface TopicState {
  def: LiveTopic<unknown>;
  listeners: Set<Listener>;
  timer: NodeJS.Timeout | null;
  last: { at: number; value: unknown } | null;
  computing: Promise<unknown> | null;
  ended: boolean;
}

export class LiveHub implements Service {
  readonly name: string;
  private readonly topics = new Map<string, TopicState>();
  private sub: Redis | null = null;
  private readonly node = crypto.randomBytes(6).toString('hex');
  private stopped = false;
  /** Snapshots computed by this process (for tests and the benchmark). */
  computed = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    name = 'live-hub',
  ) {
    this.name = name;
  }

  async start() {}

  async stop() {
    this.stopped = true;
    for (const t of this.topics.values()) if (t.timer) clearInterval(t.timer);
    this.topics.clear();
    const sub = this.sub;
    this.sub = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  private channel(topic: string) {
    return `${this.prefix}:live:${topic}`;
  }

  /** Listens to a topic; returns the function that stops listening. */
  watch<T>(
    topic: string,
    def: LiveTopic<T>,
    onValue: (v: T) => void,
    onError: (err: unknown) => void = () => {},
  ): () => void {
    let t = this.topics.get(topic);
    if (!t) {
      t = {
        def: def as LiveTopic<unknown>,
        listeners: new Set(),
        timer: null,
        last: null,
        computing: null,
        ended: false,
      };
      this.topics.set(topic, t);
      this.open(topic, t);
    }
    const l: Listener = { value: (v) => onValue(v as T), error: onError };
    t.listeners.add(l);
    const state = t;
    // the newest snapshot at once: the last one if it is fresh, else the one being computed
    if (state.last && Date.now() - state.last.at < state.def.intervalMs * 2) {
      const v = state.last.value;
      queueMicrotask(() => state.listeners.has(l) && l.value(v));
    } else
      this.computeLocal(state).then(
        (v) => state.listeners.has(l) && l.value(v),
        (err: unknown) => state.listeners.has(l) && l.error(err),
      );
    return () => {
      state.listeners.delete(l);
      if (state.listeners.size === 0 && this.topics.get(topic) === state) this.close(topic, state);
    };
  }

  /**
   * The topic's last snapshot in this process while it is fresh (younger than two ticks, or than
   * `maxAgeMs`), or null: only a topic somebody here watches has one. No computation, no query.
   */
  fresh<T>(topic: string, maxAgeMs?: number): T | null {
    const t = this.topics.get(topic);
    return t?.last && Date.now() - t.last.at < (maxAgeMs ?? t.def.intervalMs * 2)
      ? (t.last.value as T)
      : null;
  }

  /**
   * The topic's snapshot for a one-off read (a page render): the last pushed one while it is
   * fresh, else one computed here (shared with any computation already running). Registers no
   * listener: with nobody watching, this is just the computation.
   */
  async current<T>(topic: string, def: LiveTopic<T>): Promise<T> {
    const t = this.topics.get(topic);
    if (t?.last && Date.now() - t.last.at < t.def.intervalMs * 2) return t.last.value as T;
    if (t) return (await this.computeLocal(t)) as T;
    return def.compute();
  }

  private open(topic: string, t: TopicState) {
    t.timer = setInterval(() => void this.tick(topic, t), t.def.intervalMs);
    t.timer.unref();
    const sub = this.subscriber();
    sub?.subscribe(this.channel(topic)).catch(() => {});
  }

  private close(topic: string, t: TopicState) {
    if (t.timer) clearInterval(t.timer);
    this.topics.delete(topic);
    this.sub?.unsubscribe(this.channel(topic)).catch(() => {});
  }

  private subscriber(): Redis | null {
    if (this.stopped) return null;
    if (!this.sub) {
      const sub = this.redis.duplicate();
      sub.on('error', redisErrorLogger(this.log, 'live views: Redis subscriber error; reconnecting'));
      sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.received(String(channel), message));
      this.sub = sub;
    }
    return this.sub;
  }

  private received(channel: string, message: Buffer) {
    const topic = channel.slice(this.channel('').length);
    const t = this.topics.get(topic);
    if (!t) return;
    let value: unknown;
    try {
      value = v8.deserialize(message);
    } catch (err) {
      this.log.warn({ err, topic }, 'live views: a snapshot could not be read');
      return;
    }
    this.deliver(t, value);
  }

  private deliver(t: TopicState, value: unknown) {
    t.last = { at: Date.now(), value };
    if (t.def.final?.(value)) {
      t.ended = true;
      if (t.timer) clearInterval(t.timer);
      t.timer = null;
    }
    // Handed out in slices, the event loop turning between them: 300 open pages each writing a
    // snapshot in one go would hold every other request of this process for the whole round.
    const all = [...t.listeners];
    const slice = (from: number) => {
      for (const l of all.slice(from, from + DELIVERY_SLICE)) {
        if (!t.listeners.has(l)) continue;
        try {
          l.value(value);
        } catch (err) {
          this.log.warn({ err }, 'live views: a listener failed');
        }
      }
      if (from + DELIVERY_SLICE < all.length) setImmediate(() => slice(from + DELIVERY_SLICE));
    };
    slice(0);
  }

  /** One computation at a time per topic in this process; its value is the topic's last. */
  private computeLocal(t: TopicState): Promise<unknown> {
    t.computing ??= (async () => {
      try {
        this.computed++;
        const v = await t.def.compute();
        t.last = { at: Date.now(), value: v };
        return v;
      } finally {
        t.computing = null;
      }
    })();
    return t.computing;
  }

  private async tick(topic: string, t: TopicState) {
    if (t.ended || this.stopped || t.computing) return;
    let won: boolean;
    try {
      const r = await this.redis.set(
        `${this.prefix}:live:lock:${topic}`,
        this.node,
        'PX',
        Math.max(50, Math.floor(t.def.intervalMs * 0.9)),
        'NX',
      );
      won = r === 'OK';
    } catch {
      // Redis away: this process computes for its own listeners
      await this.computeLocal(t).then(
        (v) => this.deliver(t, v),
        (err: unknown) => {
          for (const l of t.listeners) l.error(err);
        },
      );
      return;
    }
    if (!won) return;
    try {
      const v = await this.computeLocal(t);
      const delivered = await this.redis.publish(this.channel(topic), v8.serialize(v)).catch(() => 0);
      // nobody heard it (our own subscription not ready, or Redis lost it): deliver here
      if (!delivered) this.deliver(t, v);
    } catch (err) {
      for (const l of t.listeners) l.error(err);
    }
  }
}
