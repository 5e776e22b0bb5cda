// Builds the demo fleet for server/platform.ts's `// [tasks]` block, finding the in-process
// broker among the services already composed (the broker block runs first).
import { BrokerService, SecretBox } from '../../broker/index.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { RegistryService } from '../registry/registry-service.js';
import { DemoFleet } from './demo-fleet.js';

export function startDemo(ctx: AppContext, services: Service[]): DemoFleet {
  const { config } = ctx;
  const registry = new RegistryService(
    ctx.pool,
    ctx.redis,
    config.REDIS_PREFIX,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    ctx.log,
  );
  return new DemoFleet(
    ctx,
    registry,
    () => (services.find((s) => s instanceof BrokerService) as BrokerService | undefined) ?? null,
  );
}
