// The broker's side of broker/uplink.ts: adds uplink publishes and connection events to
// BullMQ. A job is added before the broker acknowledges the packet, so nothing accepted is lost.
// Adds arriving in the same turn of the event loop go to Redis as one addBulk: one round trip
// for a burst of acks instead of one per message; each caller still waits for its own job.
import { Queue } from 'bullmq';
import { bullConnection } from '../server/core/redis.js';
import { CONNECTION_EVENTS_QUEUE, UPLINK_QUEUE, type ConnectionEvent, type UplinkPublish } from './uplink.js';

const JOB_OPTS = { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 10_000 };
const MAX_BATCH = 500;

class Batcher<T extends { kind?: string; type?: string }> {
  private pending: { data: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(readonly queue: Queue) {}

  add(data: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush() {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.queue.addBulk(batch.map((b) => ({ name: b.data.kind ?? b.data.type ?? 'event', data: b.data, opts: JOB_OPTS }))).then(
      () => batch.forEach((b) => b.resolve()),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}

export class EventQueues {
  private readonly uplink: Batcher<UplinkPublish>;
  private readonly connections: Batcher<ConnectionEvent>;

  constructor(redisUrl: string, prefix: string) {
    const connection = bullConnection(redisUrl);
    this.uplink = new Batcher(new Queue(UPLINK_QUEUE, { connection, prefix }));
    this.connections = new Batcher(new Queue(CONNECTION_EVENTS_QUEUE, { connection, prefix }));
  }

  addUplink(p: UplinkPublish) {
    return this.uplink.add(p);
  }

  addConnectionEvent(e: ConnectionEvent) {
    return this.connections.add(e);
  }

  async close() {
    await Promise.all([this.uplink.queue.close(), this.connections.queue.close()]);
  }
}
