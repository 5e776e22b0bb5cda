// QoS 0 deliveries of one event-loop turn written in one pass. aedes 1.2.0's deliver0
// (lib/client.js) schedules a setImmediate per delivery, allocates a Packet in it, writes it
// with mqtt-packet and schedules a second setImmediate for the callback: for a message to 50
// subscribers, 100 immediates and 50 encodings of the same bytes. Here each connection's
// deliver0 does aedes' checks at once (no-local, the per-broker duplicate counter, the
// authorizeForward hook), queues the delivery, and one setImmediate per turn writes the queued
// deliveries in the order they came (fast-write.ts encodes a message once for all of them) and
// calls their callbacks. What a delivery's callback means is unchanged: called once the packet
// is in the socket's buffer, or after 'drain' when the buffer was full (aedes' drain timeout
// applies), and a write to a closed connection is the client's error as before.
// A subscriber that reads slower than its topics are published (nothing waits for local
// deliveries, local-emitter.ts) had every QoS 0 message for it kept in its socket's buffer,
// without bound. Now a connection with more than `maxBuffered` bytes the kernel has not taken
// when a turn's QoS 0 deliveries reach it (a QoS 0 publish, or any publish to a QoS 0
// subscription) gets none of that turn's: they are dropped for it (QoS 0 is at most once, as
// Mosquitto drops for a client over its queue limit) and `onDrop` is told of each. What is held
// for a connection is so at most the bound and one turn's messages (for the platform's task
// messages, one dispatch window of its group). It is judged once per turn, after the earlier
// turns' corked bytes are handed to the socket, not per message: within a turn's writes every
// connection looks behind, and a reader that keeps up must get the whole turn.
// Installed on each Client as the listeners create it (before any SUBSCRIBE captures deliver0).
import type { Duplex } from 'node:stream';
import { writeQos0, type Qos0Memo } from './fast-write.js';

/**
 * On a connection's stream (listeners.ts' coalesceWrites): hands the bytes of earlier turns,
 * still corked until their deferred uncork, to the socket now. Before a connection's unwritten
 * bytes are judged, so that they count what the kernel did not take, not what is merely corked.
 */
export const FLUSH_CORKED = Symbol('esl.flushCorked');

interface Deliverable {
  clientId?: string;
  nl?: boolean;
  brokerId?: string | null;
  brokerCounter?: number;
  topic: string;
  payload: Buffer;
  retain?: boolean;
  dup?: boolean;
}

/** What batchQos0Deliveries is given: the bound on a connection's unwritten bytes, who hears of a drop. */
export interface Qos0Limits {
  maxBuffered: number;
  onDrop(clientId: string | null, buffered: number): void;
}

export interface DeliveringClient {
  id: string | null;
  connecting: boolean;
  connected: boolean;
  errored: boolean;
  conn: Duplex;
  duplicates: Record<string, number>;
  broker: { authorizeForward(c: unknown, p: Deliverable): Deliverable | null | undefined };
  deliver0: (p: Deliverable, cb: () => void) => void;
  _onError(err?: Error | null): void;
  waitForDrain(cb: (err: Error | null) => void): void;
  /** the turn its unwritten bytes were last judged in, and whether they were over the bound */
  _qos0Turn?: number;
  _qos0Over?: boolean;
}

/** client, packet (null: nothing to write), callback, limits; four slots per delivery */
let queue: unknown[] = [];
let scheduled = false;
/** counts the flushes: a connection's unwritten bytes are judged once in each */
let turn = 0;

/** aedes' dedupe (lib/client.js): a message seen through two routes is delivered once. */
function fresh(client: DeliveringClient, packet: Deliverable) {
  const id = packet.brokerId;
  if (!id) return true;
  const counter = packet.brokerCounter ?? 0;
  const ok = (client.duplicates[id] || 0) < counter;
  if (ok) client.duplicates[id] = counter;
  return ok;
}

function send(c: DeliveringClient, p: Deliverable, cb: () => void, memo: Qos0Memo, limits: Qos0Limits) {
  let error: Error | null = null;
  if (c.connecting || c.connected) {
    if (c._qos0Turn !== turn) {
      c._qos0Turn = turn;
      (c.conn as Duplex & { [FLUSH_CORKED]?: () => void })[FLUSH_CORKED]?.();
      c._qos0Over = c.conn.writableLength > limits.maxBuffered;
    }
    if (c._qos0Over) {
      cb();
      limits.onDrop(c.id, c.conn.writableLength);
      return;
    }
    let written: boolean;
    try {
      written = writeQos0(c.conn, p, memo);
    } catch {
      written = true;
      error = new Error('packet received not valid');
    }
    if (!written && !c.errored) {
      c.waitForDrain((err) => {
        c._onError(err);
        cb();
      });
      return;
    }
  } else {
    error = new Error('connection closed');
  }
  c._onError(error);
  cb();
}

function flush() {
  scheduled = false;
  turn++;
  const q = queue;
  queue = [];
  let thrown: unknown = null;
  const memo: Qos0Memo = {};
  for (let i = 0; i < q.length; i += 4) {
    try {
      const p = q[i + 1] as Deliverable | null;
      if (p) send(q[i] as DeliveringClient, p, q[i + 2] as () => void, memo, q[i + 3] as Qos0Limits);
      else (q[i + 2] as () => void)();
    } catch (err) {
      // the rest of the turn's deliveries still go; the error surfaces as aedes' would have
      thrown ??= err;
    }
  }
  if (thrown) throw thrown;
}

function enqueue(client: DeliveringClient, packet: Deliverable | null, cb: () => void, limits: Qos0Limits) {
  queue.push(client, packet, cb, limits);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

export function batchQos0Deliveries(client: DeliveringClient, limits: Qos0Limits) {
  client.deliver0 = function deliverQoS0(packet, cb) {
    // MQTT 5 no-local, as aedes checks it
    if (packet.clientId === client.id && packet.nl) return enqueue(client, null, cb, limits);
    const toForward = fresh(client, packet) ? client.broker.authorizeForward(client, packet) : null;
    enqueue(client, toForward || null, cb, limits);
  };
}
