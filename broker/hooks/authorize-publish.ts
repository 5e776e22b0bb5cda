// PUBLISH from a client: the topic rules of ap-protocol.md and the seed's limits. An uplink
// publish (ack/status) is added to the uplink queue here, because this is the last hook before
// aedes writes PUBACK (lib/handlers/publish.js acks QoS 1 before it calls broker.publish).
// A refused publish closes the connection, which MQTT 3.1.1 allows (section 3.3.5).
import type { BrokerContext } from '../broker-context.js';
import { principalOf } from '../principal.js';
import { parseClientId, parseTopic, topicsFor, GROUP_ID_RE } from '../rules.js';
import type { AuthorizePublishHook } from './types.js';

export class PublishRefused extends Error {
  override name = 'PublishRefused';
}

export function authorizePublishHook(ctx: BrokerContext): AuthorizePublishHook {
  return (client, packet, done) => {
    // A will being published by the broker itself; it was checked at CONNECT.
    if (!client) return done(null);
    const p = principalOf(client);
    const refuse = (reason: string) => {
      ctx.log.warn({ clientId: client.id, topic: packet.topic.slice(0, 80), reason }, 'publish refused');
      done(new PublishRefused(reason));
    };
    if (!p) return refuse('not authenticated');
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload ?? '');
    if (payload.length > ctx.opts.maxPayloadBytes) return refuse('payload over the limit');
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
    ctx.queues
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
  };
}
