// The broker domain's part of server/platform.ts: the broker for the 'broker' role, the
// connection-events worker and downlink for the 'worker' role, the admin pages and REST API
// for the 'web' role. Called from the `// [broker]` block.
import type { Router } from 'express';
import {
  BrokerService,
  brokerOptionsFrom,
  loadPlatformSecret,
  ensureInstanceId,
  MqttDownlink,
  Presence,
  SecretBox,
  type DownlinkPublisher,
} from '../../broker/index.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { ConnectionEventsWorker } from './connection-events-worker.js';
import { instanceInfo } from './instance-info.js';
import { StalePresenceSweeper } from './stale-presence-sweeper.js';
import { registryApiRoutes } from './registry-api-routes.js';
import { registryPageRoutes } from './registry-page-routes.js';
import { RegistryService } from './registry-service.js';

export async function composeBroker(
  ctx: AppContext,
  roles: Set<Role>,
  downlink: { current: DownlinkPublisher | null },
  services: Service[],
  routes: ((app: Router) => void)[],
): Promise<{ broker: BrokerService | null; registry: RegistryService }> {
  const { config, log, pool } = ctx;
  const registry = new RegistryService(
    pool,
    ctx.redis,
    config.REDIS_PREFIX,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    log,
  );
  await registry.ensureDefaultParentTopic(config.MQTT_PARENT_TOPIC);

  let broker: BrokerService | null = null;
  if (roles.has('broker')) {
    broker = new BrokerService(brokerOptionsFrom(config, ctx.redisUrl), pool, log);
    services.push(broker);
    downlink.current = broker;
  }
  if (roles.has('worker')) {
    services.push(
      new ConnectionEventsWorker(pool, ctx.redisUrl, config.REDIS_PREFIX, log),
      new StalePresenceSweeper(ctx),
    );
    if (!broker) {
      if (!config.MQTT_URL)
        throw new Error('MQTT_URL is required for the worker role without the broker role');
      const mqttDownlink = new MqttDownlink({
        url: config.MQTT_URL,
        instanceId: config.INSTANCE_ID ?? (await ensureInstanceId(pool, `mqtt-${Date.now().toString(36)}`)),
        secret: loadPlatformSecret(config.PLATFORM_MQTT_SECRET, config.DATA_DIR),
        nodeId: config.MQTT_NODE_ID ?? `worker-${process.pid}`,
      });
      services.push(mqttDownlink);
      downlink.current = mqttDownlink;
    }
  }
  if (roles.has('web')) {
    const info = instanceInfo(ctx, () => broker);
    const presence = new Presence(ctx.redis, config.REDIS_PREFIX, 'web');
    const lookup = (clientId: string) => (broker ? broker.lookup(clientId) : presence.lookup(clientId));
    routes.push(registryPageRoutes(registry, info), registryApiRoutes(registry, info, lookup));
  }
  return { broker, registry };
}
