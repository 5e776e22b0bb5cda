// PUBLISH from a client: the topic rules of ap-protocol.md and the seed's limits. An uplink
// publish (ack/status) is added to the uplink queue here, because this is the last hook before
// aedes writes PUBACK (lib/handlers/publish.js acks QoS 1 before it calls broker.publish).
// A refused publish closes the connection, which MQTT 3.1.1 allows (section 3.3.5), but only
// once every earlier accepted publish of the connection has been acknowledged and published:
// aedes handles the packets of one read concurrently, so a refusal closing at once would cost an
// accepted publish before it (still in the queue add, or in aedes' QoS 2 store) its PUBACK or
// PUBREC and its delivery.
// A publish over the payload limit is dropped, not refused: acknowledged (3.1.1 has no negative
// PUBACK), logged, delivered to nobody, and the connection stays. So is a publish of a 'general'
// client outside its grants (client-classes.ts): a persistent session would otherwise resend it
// after every reconnect and be closed again, forever.
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { BrokerContext } from '../broker-context.js';
import { principalOf, type Principal } from '../principal.js';
import { appMayPublish, generalPublishRefusal } from '../client-classes.js';
import { parseTopic, topicsFor } from '../rules.js';
import type { AuthorizePublishHook } from './types.js';

export class PublishRefused extends Error {
  override name = 'PublishRefused';
}

/** Where a dropped publish goes: a `$SYS` topic no client can subscribe to and no broker listens on. */
export const DROPPED_TOPIC = '$SYS/esl/dropped';

/** How long a refusal waits at most for the earlier publishes (one whose publish failed never comes). */
const EARLIER_WAIT_MS = 5000;

/**
 * Per connection, the accepted uplink publishes not yet acknowledged and published, and the
 * refusals waiting for them. A packet leaves `accepted` when aedes emits 'publish' for it, or
 * when its queue add failed; a refusal waits for the packets accepted before it, at most
 * EARLIER_WAIT_MS (one whose publish failed never comes). No promise or timer per publish:
 * only a refusal, which is rare, has a timer.
 */
interface Earlier {
  accepted: Set<object>;
  waiters: { left: Set<object>; fn: () => void }[];
}
const earlier = new WeakMap<Client, Earlier>();
const listening = new WeakSet<Aedes>();

function stateOf(client: Client): Earlier {
  let s = earlier.get(client);
  if (!s) earlier.set(client, (s = { accepted: new Set(), waiters: [] }));
  return s;
}

/**
 * aedes emits 'publish' with the very packet it was given once it has published it, after the
 * PUBACK (written before publishing) or the PUBREC (written in the publish's callback, before
 * the event): from then on neither depends on the connection.
 */
function accept(client: Client, packet: object) {
  const broker = (client as unknown as { broker: Aedes }).broker;
  if (!listening.has(broker)) {
    listening.add(broker);
    broker.on('publish', (pk, c) => {
      if (c) settle(c, pk);
    });
  }
  stateOf(client).accepted.add(packet);
}

function settle(client: Client, packet: object) {
  const s = earlier.get(client);
  if (!s?.accepted.delete(packet) || !s.waiters.length) return;
  for (const w of [...s.waiters]) {
    w.left.delete(packet);
    if (!w.left.size) w.fn();
  }
}

/** Calls fn once the earlier accepted publishes of the connection are acknowledged and published. */
function afterEarlier(client: Client, fn: () => void) {
  const s = earlier.get(client);
  if (!s?.accepted.size) return fn();
  const w = {
    left: new Set(s.accepted),
    fn: () => {
      clearTimeout(t);
      s.waiters.splice(s.waiters.indexOf(w), 1);
      // timed out: those never published are not waited for again
      for (const pk of w.left) s.accepted.delete(pk);
      // a turn later: mqtt-packet corks the socket for a write and uncorks it on the next tick,
      // so a close from here would drop the PUBREC just written
      setImmediate(fn);
    },
  };
  const t = setTimeout(w.fn, EARLIER_WAIT_MS);
  s.waiters.push(w);
}

/** Logs the refusal and refuses once the connection's earlier accepted publishes are through. */
function refuse(
  ctx: BrokerContext,
  client: Client,
  packet: PublishPacket,
  done: (err: Error | null) => void,
  reason: string,
) {
  ctx.log.warn({ clientId: client.id, topic: packet.topic.slice(0, 80), reason }, 'publish refused');
  afterEarlier(client, () => done(new PublishRefused(reason)));
}

export function authorizePublishHook(ctx: BrokerContext): AuthorizePublishHook {
  return (client, packet, done) => {
    // A will being published by the broker itself; it was checked at CONNECT.
    if (!client) return done(null);
    const p = principalOf(client);
    if (!p) return refuse(ctx, client, packet, done, 'not authenticated');
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload ?? '');
    if (payload.length > ctx.opts.maxPayloadBytes) {
      ctx.log.warn(
        {
          clientId: client.id,
          topic: packet.topic.slice(0, 80),
          bytes: payload.length,
          limit: ctx.opts.maxPayloadBytes,
        },
        'publish over the payload limit dropped',
      );
      drop(packet);
      return done(null);
    }
    if (p.kind === 'device' && p.clientClass === 'general') {
      const reason = generalPublishRefusal(ctx, p, packet.topic);
      if (reason) {
        ctx.log.warn({ clientId: client.id, topic: packet.topic.slice(0, 80), reason }, 'publish dropped');
        drop(packet);
      }
      return done(null);
    }
    // Wildcards and $-topics never reach here from a device: '$' cannot start a parent topic.
    const t = parseTopic(packet.topic);
    if (!t) return refuse(ctx, client, packet, done, 'topic malformed or over 64 characters');
    if (!ctx.registry.hasParentTopic(t.parent))
      return refuse(ctx, client, packet, done, 'unknown parent topic');

    if (p.kind === 'app')
      return appMayPublish(packet.topic)
        ? done(null)
        : refuse(ctx, client, packet, done, 'an application publishes only task and p2p topics');

    if (!p.write) return refuse(ctx, client, packet, done, 'token without W');
    if (p.expiresAt !== null && p.expiresAt <= Date.now())
      return refuse(ctx, client, packet, done, 'token expired');
    const own = ownTopics(p, t.parent);
    if (packet.topic !== own.ack && packet.topic !== own.status)
      return refuse(ctx, client, packet, done, "not this client's ack or status topic");
    accept(client, packet);
    ctx.queues.addUplink([packet.topic, payload.toString('utf8'), packet.qos, Date.now()], (err) => {
      if (!err) return done(null);
      // No PUBACK: the client keeps the message and sends it again after reconnecting.
      settle(client, packet);
      ctx.log.error({ err, clientId: client.id }, 'uplink queue unavailable');
      done(new PublishRefused('uplink queue unavailable'));
    });
  };
}

/** A device's ack and status topic names under a parent, built once per connection and parent. */
const ownCache = new WeakMap<object, { parent: string; ack: string; status: string }>();
function ownTopics(p: Principal & { kind: 'device' }, parent: string) {
  let o = ownCache.get(p);
  if (o?.parent !== parent) {
    const t = topicsFor(parent, p.identity);
    o = { parent, ack: t.ack, status: t.status };
    ownCache.set(p, o);
  }
  return o;
}

/**
 * aedes acknowledges what the hook lets through (PUBACK, or PUBREC/PUBCOMP for QoS 2) and then
 * publishes it: pointed at DROPPED_TOPIC with no body, it reaches no subscriber, no offline
 * queue and no retained store.
 */
function drop(packet: PublishPacket) {
  packet.topic = DROPPED_TOPIC;
  packet.payload = Buffer.alloc(0);
  packet.retain = false;
}
