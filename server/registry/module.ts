// The MQTT instance and its registries as the platform composes them: the registry service
// (the default parent topic registered at first start) and, for the web role, the admin
// pages and REST API. The broker in this process, when there is one, answers who is online
// and on which ports; otherwise the cluster-wide presence registry and the configuration do.
import { Presence, SecretBox, type BrokerService } from '../../broker/index.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { instanceInfo } from './instance-info.js';
import { registryApiRoutes } from './registry-api-routes.js';
import { registryPageRoutes } from './registry-page-routes.js';
import { RegistryService } from './registry-service.js';

export interface RegistryPorts {
  registry: RegistryService;
}

export async function createRegistryModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { broker: BrokerService | null },
): Promise<DomainModule<RegistryPorts>> {
  const { config, log, pool } = ctx;
  const registry = new RegistryService(
    pool,
    ctx.redis,
    config.REDIS_PREFIX,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    log,
    config.MQTT_PARENT_TOPIC,
  );
  await registry.ensureDefaultParentTopic(config.MQTT_PARENT_TOPIC);

  const routes: DomainModule['routes'] = [];
  if (roles.has('web')) {
    const { broker } = deps;
    const info = instanceInfo(ctx, broker);
    const presence = new Presence(ctx.redis, config.REDIS_PREFIX, 'web');
    const lookup = (clientId: string) => (broker ? broker.lookup(clientId) : presence.lookup(clientId));
    routes.push(
      registryPageRoutes(registry, info, config.MQTT_PARENT_TOPIC),
      registryApiRoutes(registry, info, lookup),
    );
  }
  return { name: 'registry', services: [], routes, ports: { registry } };
}
