// After a message is accepted (from a client or from the platform in process): a P2P message
// for a target that is offline on every node is kept, but only when the sender's session is
// persistent, the seed's rule. The platform publishing in process counts as persistent.
// Only QoS 1 is kept: the seed's table gives QoS 0 and QoS 2 no offline messages.
import type { BrokerContext } from '../broker-context.js';
import { parseClientId, parseTopic } from '../rules.js';
import type { PublishedHook } from './types.js';

export function publishedHook(ctx: BrokerContext): PublishedHook {
  return (packet, client, done) => {
    if (packet.qos !== 1 || packet.topic.charCodeAt(0) === 36 /* $ */) return done(null);
    // not `<parent>/p2p/...`: nothing to keep (checked before splitting: every uplink publish passes here)
    const slash = packet.topic.indexOf('/');
    if (slash < 0 || !packet.topic.startsWith('p2p/', slash + 1)) return done(null);
    const t = parseTopic(packet.topic);
    if (!t || t.kind !== 'p2p' || t.rest.length !== 1) return done(null);
    const target = parseClientId(t.rest[0]);
    if (!target) return done(null);
    const senderPersistent = client ? client.clean === false : true;
    if (!senderPersistent) return done(null);
    ctx.presence
      .lookup(target.clientId)
      .then(async (online) => {
        if (!online) await ctx.p2p.keep(target.clientId, packet.topic, Buffer.from(packet.payload));
      })
      .then(
        () => done(null),
        (err: unknown) => {
          ctx.log.error(
            { err, target: target.clientId },
            'could not keep a P2P message for an offline target',
          );
          done(null);
        },
      );
  };
}
