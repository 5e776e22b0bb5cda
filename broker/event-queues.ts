// The broker's side of broker/uplink.ts: adds uplink publishes and connection events to
// BullMQ. An uplink publish is in a job before the broker acknowledges the packet, so nothing
// accepted is lost. Uplink publishes arriving in the same turn of the event loop go to Redis as
// ONE job (`UplinkJob`, about 12 bytes per publish beside its topic and payload): a BullMQ job
// add is a script of several writes, and one per message bounded a node at a few thousand
// uplink publishes per second; each caller still waits until the job holding its publish is in
// Redis.
// Connection events acknowledge nothing to the device (CONNACK does not wait for them), so they
// are gathered for up to CONNECTION_EVENTS_DELAY_MS and go as ONE job per batch, in order: a
// burst of CONNECTs (a store's APs after a restart) costs a few jobs and, in the worker, a few
// transactions, not two of each per connection. What a crash of the broker process
// can lose: the events of its last CONNECTION_EVENTS_DELAY_MS (and of any addBulk in flight), as
// with any event not yet in Redis; the AP's online state is then corrected by its next event.
// A clean stop (drain, then close) flushes them.
import { Queue } from 'bullmq';
import type { Logger } from '../server/core/logger.js';
import { bullConnection } from '../server/core/redis.js';
import { errorLogger } from '../server/core/throttle.js';
import {
  CONNECTION_EVENTS_QUEUE,
  UPLINK_JOB_OPTS,
  UPLINK_QUEUE,
  type ConnectionEvent,
  type ConnectionEventBatch,
  type ConnectSummary,
  type UplinkEntry,
  type UplinkJob,
} from './uplink.js';

const MAX_BATCH = 500;
const CONNECTION_EVENTS_DELAY_MS = 20;

type Settled = (err?: unknown) => void;

class Batcher<T> {
  /** data and the callback of each add, two slots per entry */
  private pending: (T | Settled)[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<unknown>>();

  /** delayMs 0: flush at the end of the current event-loop turn; `jobs` turns a batch into the jobs to add. */
  constructor(
    readonly queue: Queue,
    private readonly jobs: (batch: T[]) => { name: string; data: unknown }[],
    private readonly delayMs = 0,
  ) {}

  add(data: T): Promise<void> {
    return new Promise((resolve, reject) => this.addThen(data, (err) => (err ? reject(err) : resolve())));
  }

  /** As add, with a callback: called once the job holding `data` is in Redis, or with the error. */
  addThen(data: T, settled: Settled) {
    this.pending.push(data, settled);
    if (this.pending.length >= MAX_BATCH * 2) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      if (this.delayMs > 0) this.timer = setTimeout(() => this.flush(), this.delayMs);
      else setImmediate(() => this.flush());
    }
  }

  flush() {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    const data: T[] = [];
    for (let i = 0; i < batch.length; i += 2) data.push(batch[i] as T);
    const settle = (err?: unknown) => {
      for (let i = 1; i < batch.length; i += 2) (batch[i] as Settled)(err);
    };
    const p = this.queue.addBulk(this.jobs(data).map((j) => ({ ...j, opts: UPLINK_JOB_OPTS }))).then(
      () => settle(),
      (err: unknown) => settle(err ?? new Error('job add failed')),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Sends what is gathered and waits for every addBulk in flight. */
  async drain() {
    this.flush();
    await Promise.allSettled([...this.inflight]);
  }
}

export class EventQueues {
  private readonly uplink: Batcher<UplinkEntry>;
  private readonly connections: Batcher<ConnectionEvent>;

  /** `node`: the broker node named in the uplink jobs */
  constructor(redisUrl: string, prefix: string, node: string, log?: Logger) {
    const connection = bullConnection(redisUrl);
    this.uplink = new Batcher(
      new Queue(UPLINK_QUEUE, { connection, prefix }),
      (p): { name: string; data: UplinkJob }[] => {
        // the entries came with their arrival in ms since the epoch; from here on, ms after the
        // earliest (the first, unless the clock was set back in between)
        let at = p[0][3];
        for (const e of p) if (e[3] < at) at = e[3];
        for (const e of p) e[3] -= at;
        return [{ name: 'publishes', data: { node, at, p } }];
      },
    );
    this.connections = new Batcher(
      new Queue(CONNECTION_EVENTS_QUEUE, { connection, prefix }),
      (events): { name: string; data: ConnectionEventBatch }[] => [{ name: 'events', data: { events } }],
      CONNECTION_EVENTS_DELAY_MS,
    );
    // while Redis is away an add waits (no retry limit) and the queues report their reconnects here
    for (const b of log ? [this.uplink, this.connections] : [])
      b.queue.on('error', errorLogger(log!, `${b.queue.name} queue: Redis unavailable; adds wait for it`));
  }

  /** An accepted uplink publish; its entry's last field is its arrival, ms since the epoch (`Date.now()`). */
  addUplink(p: UplinkEntry): Promise<void>;
  /** With a callback: no promise per publish (thousands a second). */
  addUplink(p: UplinkEntry, settled: (err?: unknown) => void): void;
  addUplink(p: UplinkEntry, settled?: (err?: unknown) => void) {
    if (!settled) return this.uplink.add(p);
    this.uplink.addThen(p, settled);
  }

  addConnectionEvent(e: ConnectionEvent) {
    return this.connections.add(e);
  }

  /** One job for a period's summaries of refused CONNECTs (broker/connect-summaries.ts). */
  async addConnectSummaries(security: ConnectSummary[]) {
    if (!security.length) return;
    const data: ConnectionEventBatch = { events: [], security };
    await this.connections.queue.add('security', data, UPLINK_JOB_OPTS);
  }

  async close() {
    await Promise.all([this.uplink.drain(), this.connections.drain()]);
    await Promise.all([this.uplink.queue.close(), this.connections.queue.close()]);
  }
}
