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
// Installed on each Client as the listeners create it (before any SUBSCRIBE captures deliver0).
import type { Duplex } from 'node:stream';
import { writeQos0, type Qos0Memo } from './fast-write.js';

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
}

/** client, packet (null: nothing to write), callback; three slots per delivery */
let queue: unknown[] = [];
let scheduled = false;

/** aedes' dedupe (lib/client.js): a message seen through two routes is delivered once. */
function fresh(client: DeliveringClient, packet: Deliverable) {
  const id = packet.brokerId;
  if (!id) return true;
  const counter = packet.brokerCounter ?? 0;
  const ok = (client.duplicates[id] || 0) < counter;
  if (ok) client.duplicates[id] = counter;
  return ok;
}

function send(c: DeliveringClient, p: Deliverable, cb: () => void, memo: Qos0Memo) {
  let error: Error | null = null;
  if (c.connecting || c.connected) {
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
  const q = queue;
  queue = [];
  let thrown: unknown = null;
  const memo: Qos0Memo = {};
  for (let i = 0; i < q.length; i += 3) {
    try {
      const p = q[i + 1] as Deliverable | null;
      if (p) send(q[i] as DeliveringClient, p, q[i + 2] as () => void, memo);
      else (q[i + 2] as () => void)();
    } catch (err) {
      // the rest of the turn's deliveries still go; the error surfaces as aedes' would have
      thrown ??= err;
    }
  }
  if (thrown) throw thrown;
}

function enqueue(client: DeliveringClient, packet: Deliverable | null, cb: () => void) {
  queue.push(client, packet, cb);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

export function batchQos0Deliveries(client: DeliveringClient) {
  client.deliver0 = function deliverQoS0(packet, cb) {
    // MQTT 5 no-local, as aedes checks it
    if (packet.clientId === client.id && packet.nl) return enqueue(client, null, cb);
    const toForward = fresh(client, packet) ? client.broker.authorizeForward(client, packet) : null;
    enqueue(client, toForward || null, cb);
  };
}
