// The instance as admins see it: its id and one ServerUrl per enabled listener. With the broker
// in this process the bound ports are known; otherwise they come from the configuration.
import { ensureInstanceId, type BrokerService, type ServerUrl } from '../../broker/index.js';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';

export interface InstanceInfo {
  instanceId: string;
  serverUrls: ServerUrl[];
}

export function instanceInfo(
  ctx: {
    pool: Pool;
    config: Pick<
      Config,
      | 'INSTANCE_ID'
      | 'MQTT_PUBLIC_HOST'
      | 'MQTT_TCP_PORT'
      | 'MQTT_TLS_PORT'
      | 'MQTT_WS_PORT'
      | 'MQTT_WSS_PORT'
    >;
  },
  broker: BrokerService | null,
) {
  return async (): Promise<InstanceInfo> => {
    if (broker) return { instanceId: broker.instanceId, serverUrls: broker.serverUrls() };
    const c = ctx.config;
    const h = c.MQTT_PUBLIC_HOST;
    const urls: ServerUrl[] = [];
    if (c.MQTT_TCP_PORT) urls.push({ transport: 'tcp', url: `mqtt://${h}:${c.MQTT_TCP_PORT}` });
    if (c.MQTT_TLS_PORT) urls.push({ transport: 'tls', url: `mqtts://${h}:${c.MQTT_TLS_PORT}` });
    if (c.MQTT_WS_PORT) urls.push({ transport: 'ws', url: `ws://${h}:${c.MQTT_WS_PORT}/mqtt` });
    if (c.MQTT_WSS_PORT) urls.push({ transport: 'wss', url: `wss://${h}:${c.MQTT_WSS_PORT}/mqtt` });
    return {
      instanceId: c.INSTANCE_ID ?? (await ensureInstanceId(ctx.pool, `mqtt-${Date.now().toString(36)}`)),
      serverUrls: urls,
    };
  };
}
