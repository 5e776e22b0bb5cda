// QoS 1 deliveries to persistent sessions (every AP's task subscription), kept over the keys of
// aedes-persistence-redis 11.2 (asyncPersistence.js) so that its offline queue, its outgoingStream
// and its QoS 2 paths go on working on them unchanged:
//   packet:<brokerId>:<counter>               the message, msgpack-encoded, one per message
//   packet:<brokerId>:<counter>:offlineCount  how many sessions still have it to acknowledge
//   outgoing:<clientId>                       a session's queue: a list of packet keys
// and one key of ours:
//   outgoing-sent:<clientId>                  hash: packet key -> the packet identifier that
//                                             session was sent it with
//
// What aedes-persistence-redis does per message for a group of K sessions, and what is done here:
// - enqueue: MSET, two EXPIREs and K RPUSHes, each awaited before the next (the message reaches
//   connected subscribers only after the last one).
// - each delivery (`outgoingUpdate`): it re-encodes the whole message with this session's packet
//   identifier and SETs it over the shared packet key, so the message crosses to Redis K more
//   times and the identifier of the last session written wins: a session that reconnects is
//   resent the message under another session's identifier, against MQTT-4.4.0-1 ("re-send any
//   unacknowledged PUBLISH Packets ... using their original Packet Identifiers"). Here the
//   identifier goes to the session's own hash (a few bytes); the message is not written again.
// - each PUBACK (`outgoingClearMessageId`): it GETs and decodes the whole message to learn the
//   keys, then LREM, DECR and DEL one after the other; when the message had expired it DECRs a
//   key named "undefined". Here the keys are known from this node's map of what it sent, and
//   one operation removes the entry, counts the acknowledgement and drops the message after the
//   last one, atomically.
// A message is stored with one script (its payload, its count, the K queue entries), awaited
// before it is delivered, as before. Each acknowledgement is one operation of the broker's
// batched Redis operations (connect-ops.ts, strings only: a Buffer would switch ioredis' whole
// batch to its slower buffer encoding), not awaited and without a promise of its own: the
// PUBACK's packet processing goes on at once (aedes handles a client's packets one after the
// other, so a PUBACK waiting for Redis held back that client's next packets). A delivery's
// identifier is recorded only once the delivery is RECORD_AFTER_MS old and still
// unacknowledged (an operation of the same kind, from a timer), and at once when its connection
// closes, before its session's queue is read for a resend on this node, and at a clean stop: a
// subscriber that acknowledges within the second (every AP that is online) costs no identifier
// write, no expiry and nothing for its acknowledgement to remove; half the operations per
// delivery, and the three Redis commands of each identifier. The operations reach Redis in the
// order they were made (one connection, one batch at a time), an identifier before its
// acknowledgement, and both before a CONNECT's operations asked for after them (a reconnect's
// queue read follows its authentication). A node killed before they reach Redis (up to
// RECORD_AFTER_MS and a half for an identifier, a millisecond or two for an acknowledgement;
// past MAX_WAITING waiting operations both are awaited again) leaves what QoS 1 allows: a
// delivery whose identifier had not reached Redis is resent under a new one, an acknowledgement
// that had not is resent and acknowledged again (the device contract: the same msgId is applied
// once). A session taken over
// by another node while its old connection here is still open is resent there under the
// identifiers recorded so far; one this node records after the other node's acknowledgement
// (the take-over's close racing it) stays in the session's hash, unused, until it expires.
// A message to K sessions costs one EVALSHA and a share of a few batches, not the store's 5K+4
// commands, each an ioredis Command and a promise, and a Redis failure after the message was
// stored no longer closes the connection it was being delivered to.
// The map holds, per connection, the messages sent on it and not yet acknowledged, and the packet
// aedes' 'ack' event passes on as before (for the newest HELD_PACKETS of a connection; beyond
// them, one that reads but never acknowledges, the packet without its payload). A session that
// reconnects (here or on another node) is resent its queue by aedes, which calls outgoingUpdate
// again for each message, so the new connection's map is complete before any acknowledgement
// can arrive for it.
// A QoS 2 publish is queued here for QoS 1 sessions too (at QoS 1, as it is delivered to them);
// QoS 2 deliveries (PUBREL) and acknowledgements of anything this node did not send are left to
// aedes-persistence-redis.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { ConnectOps, SessionKeyParts } from './connect-ops.js';

const require = createRequire(import.meta.url);
// the encoder and packet class the store decodes its queue with
const storeRequire = createRequire(require.resolve('aedes-persistence-redis/asyncPersistence.js'));
const msgpack = storeRequire('msgpack-lite') as { encode(v: unknown): Buffer };
const { Packet } = storeRequire('aedes-persistence') as { Packet: new (p: object) => object };

const enc = encodeURIComponent;
/** aedes-persistence-redis' queue of a session */
export const outgoingKey = (clientId: string) => `outgoing:${enc(clientId)}`;
/** aedes-persistence-redis' key of a stored message */
export const packetKey = (brokerId: string, counter: number | string) => `packet:${brokerId}:${counter}`;
const countKey = (pktKey: string) => `${pktKey}:offlineCount`;
/** the packet identifiers a session was sent its stored messages with */
export const sentIdsKey = (clientId: string) => `outgoing-sent:${enc(clientId)}`;

/** The keys above as the batched operations build them (connect-ops.ts), under the store's prefix. */
export const sessionKeyParts = (keyPrefix: string): SessionKeyParts => ({
  queue: keyPrefix + outgoingKey(''),
  sent: keyPrefix + sentIdsKey(''),
  packet: keyPrefix,
  count: countKey(''),
});

interface StoredPacket {
  cmd?: string;
  qos?: number;
  topic?: string;
  brokerId?: string;
  brokerCounter?: number | string;
  messageId?: number | null;
}
interface Client {
  id: string;
  /** aedes' Client's stream */
  conn?: { once(event: 'close', fn: () => void): unknown };
}
interface Sub {
  clientId: string;
  /** the subscription's QoS (the subscription trie's; absent for a single session's own queue) */
  qos?: number;
}
export interface OutgoingStore {
  outgoingEnqueueCombi(subs: Sub[], packet: StoredPacket): Promise<unknown>;
  outgoingUpdate(client: Client, packet: StoredPacket): Promise<unknown>;
  outgoingClearMessageId(client: Client, packet: StoredPacket): Promise<unknown>;
  outgoingStream(client: Client): AsyncIterable<unknown> | Iterable<unknown>;
}

// KEYS: the message, its count, the K queues; ARGV: the payload, the retention in seconds (0:
// none), the queue entry (the message's key unprefixed: ioredis prefixes KEYS only).
const ENQUEUE = `
local n, ttl = #KEYS - 2, tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
  redis.call('SET', KEYS[2], n, 'EX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], n)
end
for i = 3, #KEYS do redis.call('RPUSH', KEYS[i], ARGV[3]) end
return n`;

type EnqueueingRedis = Redis & {
  eslEnqueueOutgoing(n: number, keys: string[], ...args: (string | Buffer)[]): Promise<number>;
};

interface Sent {
  pktKey: string;
  packet: StoredPacket;
  /** performance.now() when it was sent */
  at: number;
}

interface Connection {
  all: Map<number, Sent>;
  whole: Map<number, Sent>;
  /** what was sent on it whose identifier is not yet recorded, oldest first */
  unrecorded: Map<number, Sent>;
  /** its Client ID as its keys spell it */
  session: string;
}

/** un-awaited operations waiting in the batches' queue beyond which they are awaited again */
export const MAX_WAITING = 20_000;
const done = () => undefined;

/** unacknowledged packets a connection's map keeps whole; older ones keep their header only */
export const HELD_PACKETS = 1000;

/**
 * How long a delivery's packet identifier waits before it is recorded in Redis: one acknowledged
 * sooner (a subscriber that answers within a WAN round trip or two) is never recorded, and its
 * acknowledgement has nothing to remove.
 */
export const RECORD_AFTER_MS = 1000;

const header = ({ cmd, topic, qos, messageId, brokerId, brokerCounter }: StoredPacket): StoredPacket => ({
  cmd,
  topic,
  qos,
  messageId,
  brokerId,
  brokerCounter,
});

/**
 * Replaces the QoS 1 paths of aedes-persistence-redis' outgoing queue (above). `db`: the store's
 * own connection; `keyPrefix`: its ioredis keyPrefix (`ops` names whole keys); `ttlSeconds`: the
 * retention, as the store's packetTTL.
 */
export function ownQos1Outgoing(
  store: OutgoingStore,
  db: Redis,
  ops: Pick<
    ConnectOps,
    'recordSent' | 'recordSentLater' | 'acked' | 'ackedLater' | 'hgetall' | 'waiting' | 'sessions'
  >,
  keyPrefix: string,
  ttlSeconds: number,
) {
  const parts = sessionKeyParts(keyPrefix);
  if (JSON.stringify(ops.sessions) !== JSON.stringify(parts))
    throw new Error('ownQos1Outgoing: the batched operations were not made with this store’s key parts');
  db.defineCommand('eslEnqueueOutgoing', { lua: ENQUEUE });
  const enqueue = (db as EnqueueingRedis).eslEnqueueOutgoing.bind(db);
  const update = store.outgoingUpdate.bind(store);
  const clear = store.outgoingClearMessageId.bind(store);
  const stream = store.outgoingStream.bind(store);
  const key = (k: string) => keyPrefix + k;
  // per connection (aedes' Client object): packet identifier -> what was sent under it, and its keys
  const sent = new WeakMap<Client, Connection>();
  const connection = (client: Client) => {
    let c = sent.get(client);
    if (!c) {
      c = {
        all: new Map(),
        whole: new Map(),
        unrecorded: new Map(),
        session: enc(client.id),
      };
      sent.set(client, c);
      const mine = c;
      client.conn?.once('close', () => flush(mine, Infinity));
    }
    return c;
  };
  // What does not reach Redis (its outcome is not waited for) is resent on reconnect (above).
  const none = Promise.resolve(undefined);
  // Past MAX_WAITING operations waiting (Redis behind), deliveries and acknowledgements wait for
  // theirs again: the queue, and what a killed node leaves unrecorded, stay bounded.
  // Client IDs that ever went to the store's own outgoingUpdate (QoS 2): only their
  // acknowledgements can be in its map
  const delegated = new Set<string>();

  // Connections with identifiers not yet recorded, by session. A connection's are asked for once
  // they are RECORD_AFTER_MS old (a timer, every half of that while any wait), when it closes
  // (so that a reconnect to another node after the close finds them), before its session's queue
  // is read for a resend on this node, and at a clean stop; in the batches' order.
  const unrecorded = new Map<string, Set<Connection>>();
  let timer: NodeJS.Timeout | null = null;
  const flush = (c: Connection, due: number) => {
    for (const [id, s] of c.unrecorded) {
      if (s.at > due) break;
      ops.recordSentLater(c.session, s.pktKey, String(id), ttlSeconds);
      c.unrecorded.delete(id);
    }
    if (c.unrecorded.size) return;
    const mine = unrecorded.get(c.session);
    mine?.delete(c);
    if (mine?.size === 0) unrecorded.delete(c.session);
  };
  /** every connection's identifiers sent at or before `due` (flush deletes as it goes) */
  const flushAll = (due: number) => {
    for (const conns of unrecorded.values()) for (const c of conns) flush(c, due);
  };
  const tick = () => {
    timer = null;
    flushAll(performance.now() - RECORD_AFTER_MS);
    if (unrecorded.size) recordLater();
  };
  const recordLater = () => {
    if (timer) return;
    timer = setTimeout(tick, RECORD_AFTER_MS / 2);
    timer.unref();
  };
  const recordSession = (session: string) => {
    for (const c of unrecorded.get(session) ?? []) flush(c, Infinity);
  };

  store.outgoingEnqueueCombi = async (subs, packet) => {
    if (!subs?.length) return;
    const pktKey = packetKey(packet.brokerId!, packet.brokerCounter!);
    const queues = subs.map((s) => outgoingKey(s.clientId));
    // stored at the QoS it is delivered at: a QoS 2 publish to QoS 1 subscriptions (all of them,
    // persistence.ts' onlyQos1Offline) is resent at QoS 1, as the store's per-delivery copy was
    const granted = subs.reduce((max, s) => Math.max(max, s.qos ?? 2), 0);
    const stored = new Packet(packet) as StoredPacket;
    stored.qos = Math.min(packet.qos ?? 0, granted);
    const payload = msgpack.encode(stored);
    // an array (ioredis flattens it): a group's queues are never spread as function arguments
    await enqueue(
      queues.length + 2,
      [pktKey, countKey(pktKey), ...queues],
      payload,
      String(ttlSeconds),
      pktKey,
    );
  };

  // not async: a delivery acknowledged in time costs no promise of its own here
  store.outgoingUpdate = (client, packet) => {
    const id = packet.messageId;
    if (packet.cmd !== 'publish' || packet.qos !== 1 || !id || packet.brokerId === undefined) {
      delegated.add(client.id);
      return update(client, packet);
    }
    const pktKey = packetKey(packet.brokerId, packet.brokerCounter!);
    const mine = connection(client);
    const s: Sent = { pktKey, packet, at: performance.now() };
    mine.all.set(id, s);
    mine.whole.delete(id); // a resend under the same identifier is the newest
    mine.whole.set(id, s);
    if (mine.whole.size > HELD_PACKETS) {
      const [oldest, o] = mine.whole.entries().next().value!;
      mine.whole.delete(oldest);
      o.packet = header(o.packet);
    }
    mine.unrecorded.delete(id); // a resend under the same identifier: kept in the order sent
    if (ops.waiting > MAX_WAITING) {
      // Redis behind: recorded now, and the delivery waits for it (the queue stays bounded)
      return ops.recordSent(mine.session, pktKey, String(id), ttlSeconds).then(done, done);
    }
    mine.unrecorded.set(id, s);
    const conns = unrecorded.get(mine.session);
    if (conns) conns.add(mine);
    else unrecorded.set(mine.session, new Set([mine]));
    recordLater();
    return none;
  };

  store.outgoingClearMessageId = (client, packet) => {
    const mine = sent.get(client);
    const id = packet.messageId;
    const s = id ? mine?.all.get(id) : undefined;
    if (!s) return delegated.has(client.id) ? clear(client, packet) : none;
    mine!.all.delete(id!);
    mine!.whole.delete(id!);
    // acknowledged before its identifier was recorded: it never will be (the operation's HDEL
    // then finds nothing; it removes a resend's, recorded by an earlier connection)
    mine!.unrecorded.delete(id!);
    if (ops.waiting <= MAX_WAITING) {
      ops.ackedLater(mine!.session, s.pktKey);
      return Promise.resolve(s.packet);
    }
    return ops.acked(mine!.session, s.pktKey).then(
      () => s.packet,
      () => s.packet,
    );
  };

  // A reconnecting session is resent each stored message under the identifier it was sent with.
  // A QoS 1 message it was never sent (or whose identifier did not reach Redis) gets a new one
  // from aedes, never an identifier another session was sent it with (the store's shared copy of
  // an earlier version); QoS 2 keeps the store's. Without the identifiers (Redis failing that
  // read alone) the queue is resent all the same, under new ones, as QoS 1 allows.
  store.outgoingStream = (client) => {
    const queue = stream(client);
    recordSession(enc(client.id)); // before the read below: what this node sent the session is in it
    // read alongside the queue, not before it
    const sentIds = ops.hgetall(key(sentIdsKey(client.id))).catch(() => ({}) as Record<string, string>);
    return (async function* () {
      for await (const p of queue as AsyncIterable<StoredPacket>) {
        const ids = await sentIds;
        const id = p.brokerId === undefined ? undefined : ids[packetKey(p.brokerId, p.brokerCounter!)];
        if (id) p.messageId = Number(id);
        else if (p.cmd === 'publish' && p.qos === 1) p.messageId = undefined;
        yield p;
      }
    })();
  };

  return {
    /** Asks now for every identifier not yet recorded (a clean stop, after the clients are gone). */
    recordAll: () => flushAll(Infinity),
  };
}
