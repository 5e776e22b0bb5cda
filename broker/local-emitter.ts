// mqemitter-redis, local first. As shipped, mqemitter-redis delivers a publish to no one until
// it has come back from Redis: every message (and every CONNECT's and disconnect's $SYS notice)
// makes a round trip and is msgpack-decoded again by the node that sent it. Here a node delivers
// its own publishes to its own listeners at once and uses Redis only to reach the other nodes;
// the echo of its own message is recognised by its id (this node's origin prefix) before it is
// decoded and dropped, so each listener still gets every message exactly once. Messages from
// other nodes are handled as mqemitter-redis does (decoded, de-duplicated by id: a node with
// both a pattern and a plain subscription matching one channel receives it twice).
// The wire format is mqemitter-redis' own ({ id, msg }, msgpack), so nodes running the stock
// emitter and this one understand each other.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeEmitted } from './emitter-encoding.js';
import type { Peers } from './peers.js';

const require = createRequire(import.meta.url);
// the msgpack-lite that mqemitter-redis itself encodes with
const msgpack = createRequire(require.resolve('mqemitter-redis'))('msgpack-lite') as {
  decode(b: Buffer): { id: string; msg: Message };
};

interface Message {
  topic: string;
}
type Done = (err?: Error | null) => void;

/** The parts of an MQEmitterRedis instance this relies on (mqemitter-redis 7.x). */
export interface RedisEmitter {
  closed: boolean;
  subConn: {
    removeAllListeners(event: string): unknown;
    on(event: 'messageBuffer', fn: (channel: Buffer, message: Buffer) => void): unknown;
    on(event: 'pmessageBuffer', fn: (pattern: Buffer, channel: Buffer, message: Buffer) => void): unknown;
  };
  pubConn: { publish(channel: string, message: Buffer): Promise<number> };
  _cache: { get(k: string): unknown; set(k: string, v: boolean): void };
  _ignoredTopicsSet: Set<string>;
  /** MQEmitter's own emit: delivers to this process' listeners */
  _emit(msg: Message, done?: Done): void;
  _onError(err: Error): void;
  emit(msg: Message, done?: Done): void;
}

/**
 * Makes `mq` deliver locally first (see the file comment). `done` of an emit is called once
 * Redis has taken the message for the other nodes, with its error if it could not, as before;
 * local delivery does not wait for it and is not held up by a slow local subscriber.
 */
/** aedes' `$SYS/<broker id>/heartbeat` */
const isHeartbeat = (topic: string) => topic.startsWith('$SYS/') && topic.endsWith('/heartbeat');

export function localFirst(mq: RedisEmitter, peers?: Peers): RedisEmitter {
  // 16 hex digits and a separator: ids are fixstr in msgpack (under 32 bytes with the counter)
  const origin = `${crypto.randomBytes(8).toString('hex')}/`;
  const originBuf = Buffer.from(origin);
  let counter = 0;

  mq.emit = (msg, done) => {
    const cb: Done = done ?? ((err) => err && mq._onError(err));
    if (mq.closed) return cb(new Error('mqemitter-redis is closed'));
    // no other node to carry it to (peers.ts): delivered here, nothing sent to Redis; but the
    // aedes heartbeat always goes (an earlier version's node would take this one for dead)
    if (peers?.isAlone() && !isHeartbeat(msg.topic)) {
      mq._emit(msg);
      process.nextTick(cb);
      return;
    }
    const encoded = encodeEmitted(origin + (counter++).toString(36), msg);
    mq._emit(msg);
    mq.pubConn.publish(msg.topic, encoded).then(
      () => cb(),
      (err: Error) => cb(err),
    );
  };

  /** msgpack of { id: <fixstr>, ... }: 0x82, 0xa2 'i' 'd', then the id's fixstr header at 4. */
  const own = (m: Buffer) =>
    m.length > 5 + originBuf.length &&
    m[0] === 0x82 &&
    m[1] === 0xa2 &&
    m[2] === 0x69 &&
    m[3] === 0x64 &&
    (m[4] & 0xe0) === 0xa0 &&
    m.compare(originBuf, 0, originBuf.length, 5, 5 + originBuf.length) === 0;

  const control = peers ? Buffer.from(peers.channel) : null;
  const handle = (channel: Buffer, message: Buffer) => {
    if (control && channel.length === control.length && channel.equals(control))
      return peers!.onMessage(message.toString('utf8'));
    if (own(message)) return;
    if (mq._ignoredTopicsSet.has(channel.toString('utf8'))) return;
    let packet: { id: string; msg: Message };
    try {
      packet = msgpack.decode(message);
    } catch (err) {
      mq._onError(err as Error);
      return;
    }
    if (typeof packet?.id !== 'string' || packet.id.startsWith(origin)) return;
    // another node is up (of this version or an earlier one, which does not beat on the channel)
    peers?.heardForeign();
    if (!mq._cache.get(packet.id)) mq._emit(packet.msg);
    mq._cache.set(packet.id, true);
  };
  mq.subConn.removeAllListeners('messageBuffer');
  mq.subConn.removeAllListeners('pmessageBuffer');
  mq.subConn.on('messageBuffer', (channel, message) => handle(channel, message));
  mq.subConn.on('pmessageBuffer', (_pattern, channel, message) => handle(channel, message));
  return mq;
}

interface NoticePublisher {
  id: string;
  publish(packet: { topic: string; payload?: Buffer | string }, client?: unknown, done?: unknown): unknown;
}

/**
 * aedes publishes `$SYS/<id>/new/clients` at every CONNECT and `$SYS/<id>/disconnect/clients` at
 * every disconnect, for the other nodes: a node that hears of a new client closes its own client
 * of that Client ID (MQTT-3.1.4-2 across the cluster).
 * - While this node is alone the emitter sends them to nobody (above); here they are not
 *   published at all, which saves their Packet, the publish series and the topic match (about
 *   4 % of a CONNECT's CPU). Nobody on this node needs them: aedes' own listener ignores its
 *   node's notices, nothing listens to disconnect notices, and no client can subscribe to `$SYS`
 *   (every topic filter starts with a registered parent topic, rules.ts). A listener added on
 *   this node for either notice would have to remove this.
 * - Otherwise a new-client notice waits until `claimOf(clientId)` settles (the presence claim,
 *   batched in connect-ops.ts): the other node's release of the connection it closes on this
 *   notice then reaches Redis after the claim, and the claim sees the entry it replaces (a
 *   take-over, recorded as one on both sides). A claim still queued for a millisecond would
 *   otherwise be overtaken by that release.
 */
export function clientNotices(
  aedes: NoticePublisher,
  peers: Peers,
  claimOf: (clientId: string) => Promise<void> | null,
) {
  const own = `$SYS/${aedes.id}/`;
  const publish = aedes.publish.bind(aedes);
  aedes.publish = (packet, client, done) => {
    const t = packet.topic;
    if (t.charCodeAt(0) !== 36 /* $ */ || !t.startsWith(own)) return publish(packet, client, done);
    const isNew = t.endsWith('/new/clients');
    if (!isNew && !t.endsWith('/disconnect/clients')) return publish(packet, client, done);
    if (peers.isAlone()) {
      const cb = (typeof client === 'function' ? client : done) as (() => void) | undefined;
      cb?.();
      return;
    }
    const claim = isNew && packet.payload !== undefined ? claimOf(packet.payload.toString()) : null;
    if (!claim) return publish(packet, client, done);
    void claim.then(() => publish(packet, client, done));
  };
}
