// PUBLISH from a client: the topic rules of ap-protocol.md and the seed's limits. An uplink
// publish (ack/status) is added to the uplink queue here, because this is the last hook before
// aedes writes PUBACK (lib/handlers/publish.js acks QoS 1 before it calls broker.publish).
// A refused publish closes the connection, which MQTT 3.1.1 allows (section 3.3.5), but only
// once every earlier publish of the connection still being queued has been settled: aedes
// handles the packets of one read concurrently, so a refusal closing at once would cost an
// accepted publish before it (still in the queue add) its PUBACK and its delivery.
// A publish over the payload limit is dropped, not refused: acknowledged (3.1.1 has no negative
// PUBACK), logged, delivered to nobody, and the connection stays.
import type { Client, PublishPacket } from 'aedes';
import type { BrokerContext } from '../broker-context.js';
import { principalOf } from '../principal.js';
import { parseClientId, parseTopic, topicsFor, GROUP_ID_RE } from '../rules.js';
import type { AuthorizePublishHook } from './types.js';

export class PublishRefused extends Error {
  override name = 'PublishRefused';
}

/** Where a dropped publish goes: a `$SYS` topic no client can subscribe to and no broker listens on. */
export const DROPPED_TOPIC = '$SYS/esl/dropped';

/** Per connection, the accepted publishes whose uplink add has not settled yet. */
const queueing = new WeakMap<Client, Set<Promise<void>>>();

function track(client: Client, p: Promise<void>) {
  let set = queueing.get(client);
  if (!set) queueing.set(client, (set = new Set()));
  set.add(p);
  void p.finally(() => set.delete(p));
}

/** Calls fn once the earlier publishes of the connection have settled and aedes has acted on them. */
function afterEarlier(client: Client, fn: () => void) {
  const set = queueing.get(client);
  if (!set?.size) return fn();
  // aedes writes the PUBACK when done(null) is called and hands the message to broker.publish
  // in the write's setImmediate; one turn later both have happened
  void Promise.allSettled([...set]).then(() => setImmediate(fn));
}

export function authorizePublishHook(ctx: BrokerContext): AuthorizePublishHook {
  return (client, packet, done) => {
    // A will being published by the broker itself; it was checked at CONNECT.
    if (!client) return done(null);
    const p = principalOf(client);
    const refuse = (reason: string) => {
      ctx.log.warn({ clientId: client.id, topic: packet.topic.slice(0, 80), reason }, 'publish refused');
      afterEarlier(client, () => done(new PublishRefused(reason)));
    };
    if (!p) return refuse('not authenticated');
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
    // Wildcards and $-topics never reach here from a device: '$' cannot start a parent topic.
    const t = parseTopic(packet.topic);
    if (!t) return refuse('topic malformed or over 64 characters');
    if (!ctx.registry.hasParentTopic(t.parent)) return refuse('unknown parent topic');

    if (p.kind === 'platform') {
      const ok =
        (t.kind === 'task' && t.rest.length === 1 && GROUP_ID_RE.test(t.rest[0])) ||
        (t.kind === 'p2p' && t.rest.length === 1 && parseClientId(t.rest[0]) !== null);
      return ok ? done(null) : refuse('the platform publishes only task and p2p topics');
    }

    if (!p.write) return refuse('token without W');
    if (p.expiresAt !== null && p.expiresAt <= Date.now()) return refuse('token expired');
    const own = topicsFor(t.parent, p.identity);
    const kind = packet.topic === own.ack ? 'ack' : packet.topic === own.status ? 'status' : null;
    if (!kind) return refuse("not this client's ack or status topic");
    const queued = ctx.queues
      .addUplink({
        kind,
        topic: packet.topic,
        clientId: p.identity.clientId,
        groupId: p.identity.groupId,
        deviceId: p.identity.deviceId,
        payload: payload.toString('utf8'),
        qos: packet.qos,
        receivedAt: new Date().toISOString(),
        brokerNode: ctx.opts.nodeId,
      })
      .then(
        () => done(null),
        (err: unknown) => {
          // No PUBACK: the client keeps the message and sends it again after reconnecting.
          ctx.log.error({ err, clientId: client.id }, 'uplink queue unavailable');
          done(new PublishRefused('uplink queue unavailable'));
        },
      );
    track(client, queued);
  };
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
