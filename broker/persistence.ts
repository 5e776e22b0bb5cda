// aedes' persistence and emitter. In a cluster both live in Redis: aedes-persistence-redis
// keeps sessions, subscriptions and offline queues (under our key prefix, via ioredis
// keyPrefix), mqemitter-redis carries publishes between nodes (Redis pub/sub channels are
// named by the MQTT topic and cannot be prefixed; they are shared by every database number).
import crypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import stream, { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import type { ConnectOps } from './connect-ops.js';
import { isGranted } from './granted.js';
import { localFirst, type RedisEmitter } from './local-emitter.js';
import { Peers } from './peers.js';
import { outgoingKey } from './qos1-outgoing.js';

const require = createRequire(import.meta.url);

interface Sub {
  clientId: string;
  topic: string;
  qos: number;
}
interface AsyncPersistence {
  subscriptionsByTopic(topic: string): Promise<Sub[]>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> | Readable;
  destroy(): Promise<void>;
}

export interface BrokerStores {
  persistence?: AsyncPersistence;
  mq?: { close(cb: () => void): void };
  /** whether another node is up (the emitter sends nothing to Redis while this node is alone) */
  peers?: Peers;
  /** the persistence's own connection (its keys under sessionKeyPrefix, ioredis keyPrefix) */
  conn?: Redis;
}

/**
 * `onError` gets the Redis connections' errors (Redis away, restarting): ioredis reconnects by
 * itself and the broker stays up. Without it mqemitter-redis re-emits them on an emitter with
 * no listener, an uncaught exception that would end the process.
 */
/** aedes-persistence-redis' keys live under this (ioredis keyPrefix of its connection). */
export const sessionKeyPrefix = (prefix: string) => `${prefix}:mqtt:s:`;

export function createStores(
  redisUrl: string,
  prefix: string,
  nodeId: string,
  retentionSeconds: number,
  onError: (err: Error) => void,
): BrokerStores {
  // asyncPersistence.js is the class aedes 1.x wants (its main export is the callback wrapper).
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (
    o: object,
  ) => AsyncPersistence;
  const mqemitterRedis = require('mqemitter-redis') as (o: object) => BrokerStores['mq'];
  // auto-pipelining: the commands of many concurrent CONNECTs leave in one socket write
  const conn = new Redis(redisUrl, { keyPrefix: sessionKeyPrefix(prefix), enableAutoPipelining: true });
  conn.on('error', onError);
  const persistence = new AsyncRedisPersistence({
    conn,
    // Offline messages expire with the retention (the seed: 3 days by default). QoS 1 deliveries
    // to persistent sessions are written by qos1-outgoing.ts, with the same retention.
    packetTTL: () => retentionSeconds,
  });
  // aedes 1.2.0 pipes the retained messages of a SUBSCRIBE (stream.pipe in
  // lib/handlers/subscribe.js); aedes-persistence-redis 11.2.2 returns an async generator
  // there, which has no pipe. Readable.from bridges the two.
  const combi = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => {
    const it = combi(patterns);
    return it instanceof Readable ? it : Readable.from(it);
  };
  // mqemitter-redis turns on auto-pipelining only for its own options object: given a connection
  // string, its connections do not pipeline and every PUBLISH (each message, each CONNECT's and
  // disconnect's $SYS notice) is a socket write of its own. Passing the connections fixes that;
  // order is kept (one connection, commands written in call order). close() quits both.
  // The subscriber connection skips ioredis' ready check: a (P)SUBSCRIBE sent between TCP connect
  // and ready (an MQTT subscription to a new topic at that moment) makes the check's INFO fail
  // (ioredis 5.x, redis/ioredis#2037), and mqemitter-redis re-emits that error with no listener:
  // an uncaught exception. This connection only ever sends (P)(UN)SUBSCRIBE, which Redis accepts
  // while it is still loading, so it has nothing to wait for.
  const pubConn = new Redis(redisUrl, { enableAutoPipelining: true });
  const subConn = new Redis(redisUrl, { enableReadyCheck: false });
  const mq = mqemitterRedis({ connectionString: redisUrl, pubConn, subConn }) as BrokerStores['mq'] & {
    state: { on(event: 'error', fn: (err: Error) => void): void };
  };
  mq.state.on('error', onError);
  // on the emitter's own connections: hearing the other nodes means their messages reach us too
  // one identity per process: two processes started with one MQTT_NODE_ID still see each other
  const peers = new Peers({ pubConn, subConn }, prefix, `${nodeId}/${crypto.randomUUID()}`);
  // this node's publishes reach its own subscribers without the round trip through Redis, and
  // reach Redis only when another node is up
  localFirst(mq as unknown as RedisEmitter, peers);
  closeWithoutCrash(mq as unknown as ClosableEmitter);
  return { persistence, mq, peers, conn };
}

interface QuittingConn {
  status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}
interface ClosableEmitter {
  closed: boolean;
  closing: boolean;
  pubConn: QuittingConn;
  subConn: QuittingConn;
  close(cb?: () => void): unknown;
  /** MQEmitter's own close (marks it closed, calls back) */
  _close(cb: () => void): void;
}

/**
 * mqemitter-redis 7.2.1 closes with `pubConn.quit()` and `subConn.quit()` and no handler on
 * either promise. aedes closes it right after closing its clients, whose `$SYS` disconnect
 * notices are PUBLISHes still waiting in the auto-pipeline: written after the QUIT, they reach
 * Redis behind it, Redis closes the socket with them unread (a reset, which can take the QUIT's
 * own reply with it), and ioredis rejects the QUIT with "Connection is closed": an unhandled
 * rejection that ended the process in the middle of its stop (10,000 connections closing,
 * `npm run bench:broker`'s storm row). The same happens to any QUIT whose connection drops
 * first (Redis restarting or unreachable during a stop). Here the QUIT waits for the turn's
 * auto-pipelined commands to be written (setImmediate: ioredis writes them from an earlier
 * one), its failure is handled (the connection is dropped instead), and the close completes
 * once both QUITs are settled, not on an 'end' event a connection already ended (or dropped
 * while reconnecting) never emits.
 */
export function closeWithoutCrash(mq: ClosableEmitter) {
  const quit = (c: QuittingConn) =>
    c.status === 'end'
      ? Promise.resolve()
      : c.quit().then(
          () => {},
          () => c.disconnect(),
        );
  mq.close = (cb = () => {}) => {
    if (mq.closed || mq.closing) return cb();
    mq.closing = true;
    setImmediate(() => {
      void Promise.all([quit(mq.subConn), quit(mq.pubConn)]).then(() => mq._close(cb));
    });
    return mq;
  };
}

/**
 * The seed's QoS x cleanSession table: only QoS 1 subscriptions of persistent sessions get
 * offline messages. aedes asks the persistence for the subscriptions to queue a QoS>0 publish
 * for (enqueueOffline in aedes.js) and nothing else; leaving QoS 0 and QoS 2 subscriptions out
 * there means they receive messages only while connected, QoS 2 still exactly once.
 */
export function onlyQos1Offline(persistence: { subscriptionsByTopic(topic: string): Promise<Sub[]> }) {
  const byTopic = persistence.subscriptionsByTopic.bind(persistence);
  persistence.subscriptionsByTopic = async (topic) => (await byTopic(topic)).filter((s) => s.qos === 1);
}

interface SubscriptionStore {
  addSubscriptions(client: { id: string }, subs: Sub[]): Promise<unknown>;
}

/**
 * aedes calls addSubscriptions once per topic of a SUBSCRIBE, each time with the packet's
 * whole list (storeSubscriptions in lib/handlers/subscribe.js). aedes-persistence's
 * BroadcastPersistence waits for its own echo keyed by client and first topic, so concurrent
 * calls for one client overwrite each other's waiter and all but one never resolve: a
 * multi-topic SUBSCRIBE from a persistent session hangs. Here a client's calls run one after
 * the other, and only the filters the authorize hook granted are stored.
 */
export function storeGrantedOnce(persistence: SubscriptionStore) {
  const add = persistence.addSubscriptions.bind(persistence);
  const queue = new Map<string, Promise<unknown>>();
  persistence.addSubscriptions = (client, subs) => {
    const ok = subs.filter((s) => isGranted(client, s.topic));
    if (!ok.length) return Promise.resolve(client);
    const prev = queue.get(client.id) ?? Promise.resolve();
    const p = prev.catch(() => {}).then(() => add(client, ok));
    queue.set(client.id, p);
    void p
      .finally(() => {
        if (queue.get(client.id) === p) queue.delete(client.id);
      })
      .catch(() => {});
    return p;
  };
}

interface SessionStore {
  cleanSubscriptions(client: object): Promise<unknown>;
  outgoingStream(client: object): AsyncIterable<unknown> | Iterable<unknown>;
  delWill(client: { id: string; brokerId?: string }): Promise<unknown>;
}

interface ProbedClient {
  clean: boolean;
}

/** The offline queue of a clean session that never had one: this very array, and nothing else, is empty by identity. */
const NO_QUEUE: unknown[] = Object.freeze([]) as unknown as unknown[];
let pipelineSkipped = false;

/**
 * aedes' CONNECT ends with `pipeline(persistence.outgoingStream(client), through(...), done)`
 * (emptyQueue in lib/handlers/connect.js), even for a queue known to be empty. Node's pipeline
 * builds an AbortController, end-of-stream listeners and an async pump for it, and aborts the
 * controller when done, which creates a DOMException with its stack trace: about a tenth of a
 * CONNECT's CPU in the profiles. For the NO_QUEUE array alone (above; no other caller can pass
 * it), pipeline calls its callback on the next tick, which is what it would have called it with:
 * nothing to pipe, no error. Every other call is Node's own pipeline. aedes imports pipeline
 * from 'stream' as an ES module binding, so the builtin's export is replaced and the bindings
 * synced (node:module syncBuiltinESMExports).
 */
function skipEmptyQueuePipeline() {
  if (pipelineSkipped) return;
  pipelineSkipped = true;
  const original = stream.pipeline;
  const pipeline = function (this: unknown, ...args: unknown[]) {
    const done = args[args.length - 1];
    if (args[0] === NO_QUEUE && args.length === 3 && typeof done === 'function') {
      process.nextTick(done as () => void);
      return args[1];
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Object.defineProperties(pipeline, Object.getOwnPropertyDescriptors(original));
  stream.pipeline = pipeline as typeof stream.pipeline;
  syncBuiltinESMExports();
}

/**
 * A CONNECT with a clean session costs aedes four sequential Redis round trips before CONNACK
 * (lib/handlers/connect.js): the session clean-up reads the client's subscription hash
 * (cleanSubscriptions), the will clean-up removes a will, and the offline queue is read
 * (outgoingStream), though a clean session that never was persistent has neither. Here:
 * - `probe(client)`, called as authentication starts, asks Redis (one EXISTS of both keys, in the
 *   same batch as the registry version GET of that CONNECT and of concurrent ones) whether the
 *   Client ID has a subscription hash or an offline queue; when it has neither, the clean-up
 *   and the queue read are skipped. A failed probe, or one not settled in time, falls back to
 *   aedes' own reads. The probe is as fresh as aedes' own read was: both run before the
 *   session is registered, and a persistent session of the same Client ID that subscribes in
 *   between (on another node, in the same milliseconds) could race either.
 * - aedes' connect-time `delWill(client)` passes the Client, which has no `brokerId`: the key it
 *   removes (`will:undefined:<id>`) is never written (putWill names the broker), so it removed
 *   nothing and is skipped. A will is still removed where aedes names its broker (the close,
 *   the will sweep).
 */
export function cleanSessionShortcuts(
  store: SessionStore,
  ops: Pick<ConnectOps, 'exists'>,
  keyPrefix: string,
) {
  const probes = new WeakMap<object, Promise<{ subs: boolean; queue: boolean }>>();
  const settled = new WeakMap<object, { subs: boolean; queue: boolean }>();
  const clean = store.cleanSubscriptions.bind(store);
  const outgoing = store.outgoingStream.bind(store);
  const delWill = store.delWill.bind(store);

  store.cleanSubscriptions = async (client) => {
    const probe = probes.get(client);
    probes.delete(client);
    const found = probe ? await probe.catch(() => null) : null;
    if (found && !found.subs) {
      if (!found.queue) settled.set(client, found);
      return;
    }
    return clean(client);
  };
  store.outgoingStream = (client) => {
    const found = settled.get(client);
    settled.delete(client);
    return found && (client as ProbedClient).clean ? NO_QUEUE : outgoing(client);
  };
  skipEmptyQueuePipeline();
  store.delWill = (client) => (client.brokerId === undefined ? Promise.resolve(null) : delWill(client));

  return {
    probe(client: { id: string; clean: boolean }) {
      if (!client.clean || !client.id) return;
      // the key names of aedes-persistence-redis (clientSubKey, outgoingKey)
      const subsKey = `${keyPrefix}client:${encodeURIComponent(client.id)}`;
      // one EXISTS for both keys: the usual answer is neither; either one sends both reads to aedes
      const p = ops
        .exists(subsKey, keyPrefix + outgoingKey(client.id))
        .then((n) => ({ subs: n !== 0, queue: n !== 0 }));
      p.catch(() => {});
      probes.set(client, p);
    },
  };
}
