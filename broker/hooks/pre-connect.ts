// Runs on every CONNECT before authentication: bounds the keepalive.
import type { BrokerContext } from '../broker-context.js';
import type { PreConnectHook } from './types.js';

/**
 * MQTT 3.1.1 lets the client choose its keepalive (3.1.2.10) and the broker then drops it
 * after 1.5 x keepalive of silence (MQTT-3.1.2-24). A client asking for 0 (never) or more
 * than the maximum is held to the maximum instead of refused: 3.1.1 has no return code for
 * it (aedes' keepaliveLimit answers 6, which 3.1.1 clients do not understand).
 */
export function preConnectHook(ctx: BrokerContext): PreConnectHook {
  const max = ctx.opts.maxKeepaliveSeconds;
  return (_client, packet, done) => {
    if (!packet.keepalive || packet.keepalive > max) packet.keepalive = max;
    done(null, true);
  };
}
