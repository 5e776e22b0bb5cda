// SUBSCRIBE: an AP subscribes only to its own group's task topic (ap-protocol.md); nobody
// subscribes to a P2P topic (P2P is delivered without one); at most maxSubscriptions per client.
// A 'general' client subscribes to filters inside its grants (client-classes.ts).
// A refusal is granted 0x80 in SUBACK (MQTT 3.1.1 section 3.9.3), the connection stays.
import type { Client } from 'aedes';
import type { BrokerContext } from '../broker-context.js';
import { grant } from '../granted.js';
import { principalOf } from '../principal.js';
import { generalSubscribeRefusal } from '../client-classes.js';
import { parseTopic, topicsFor } from '../rules.js';
import type { AuthorizeSubscribeHook } from './types.js';

// Topics authorized in the SUBSCRIBE being handled but not yet in client.subscriptions:
// aedes authorizes every topic of a packet before it adds any.
const pending = new WeakMap<Client, Set<string>>();

export function authorizeSubscribeHook(ctx: BrokerContext): AuthorizeSubscribeHook {
  return (client, sub, done) => {
    const refuse = (reason: string) => {
      ctx.log.info({ clientId: client.id, topic: sub.topic.slice(0, 80), reason }, 'subscription refused');
      done(null, null);
    };
    const p = principalOf(client);
    if (!p) return refuse('not authenticated');
    const t = parseTopic(sub.topic);
    if (!t) return refuse('topic filter malformed or over 64 characters');
    if (!ctx.registry.hasParentTopic(t.parent)) return refuse('unknown parent topic');
    if (t.kind === 'p2p') return refuse('P2P topics are delivered without a subscription');
    if (p.kind === 'app') {
      if (t.kind !== 'ack' && t.kind !== 'status')
        return refuse('an application subscribes only to ack and status topics');
    } else if (p.clientClass === 'general') {
      const reason = generalSubscribeRefusal(p, sub.topic);
      if (reason) return refuse(reason);
    } else {
      if (!p.read) return refuse('token without R');
      if (p.expiresAt !== null && p.expiresAt <= Date.now()) return refuse('token expired');
      if (sub.topic !== topicsFor(t.parent, p.identity).task)
        return refuse("not this client's group task topic");
    }
    const current = new Set(Object.keys((client as unknown as { subscriptions: object }).subscriptions));
    let mine = pending.get(client);
    if (!mine) {
      mine = new Set();
      pending.set(client, mine);
      // the SUBSCRIBE's topics are added to client.subscriptions before the next turn
      setImmediate(() => pending.delete(client));
    }
    if (
      !current.has(sub.topic) &&
      !mine.has(sub.topic) &&
      current.size + mine.size >= ctx.opts.maxSubscriptions
    ) {
      return refuse('subscription limit reached');
    }
    mine.add(sub.topic);
    grant(client, sub.topic);
    done(null, sub);
  };
}
