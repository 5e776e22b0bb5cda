// Before aedes writes a message to a 'general' client (online, offline queue, redelivery,
// retained): a P2P topic reaches only its target, however wide the client's wildcard
// subscription (nobody subscribes to a P2P topic), and the message goes out at most at the
// highest QoS of the client's subscriptions that match it. aedes 1.2.0 lowers the QoS only
// when a subscription equals the topic name exactly (`client.subscriptions[packet.topic]` in
// lib/client.js), so a QoS 2 publish reached a QoS 1 wildcard subscription at QoS 2 (MQTT-3.8.4-6
// wants the minimum of the two). APs and applications subscribe to exact topics: untouched.
import type { AedesOptions, Client } from 'aedes';
import { matches } from '../permissions.js';
import { principalOf } from '../principal.js';

type AuthorizeForwardHook = NonNullable<AedesOptions['authorizeForward']>;

export function authorizeForwardHook(): AuthorizeForwardHook {
  return (client, packet) => {
    const p = principalOf(client);
    if (p?.kind !== 'device' || p.clientClass !== 'general') return packet;
    const levels = packet.topic.split('/');
    if (levels[1] === 'p2p' && levels.length === 3) return levels[2] === client.id ? packet : null;
    if (packet.qos > 0) {
      const subs = (client as Client & { subscriptions: Record<string, { qos: number }> }).subscriptions;
      let max = -1;
      for (const [filter, s] of Object.entries(subs))
        if (s.qos > max && matches(filter, packet.topic)) max = s.qos;
      if (max >= 0 && max < packet.qos) packet.qos = max as 0 | 1;
    }
    return packet;
  };
}
