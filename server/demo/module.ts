// The demo as the platform composes it: in the embedded default with every role in this
// process, a demo store and a fleet of simulated APs connected to the in-process broker.
// Anywhere else, nothing (and sim/ is never loaded).
import type { BrokerService } from '../../broker/index.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { RegistryService } from '../registry/registry-service.js';

export async function createDemoModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { broker: BrokerService | null; registry: RegistryService },
): Promise<DomainModule> {
  const { config } = ctx;
  const wanted = config.DEMO && config.embedded && roles.has('broker') && roles.has('worker');
  if (!wanted) return { name: 'demo', services: [], routes: [], ports: {} };
  const { DemoFleet } = await import('./demo-fleet.js');
  const { broker } = deps;
  return { name: 'demo', services: [new DemoFleet(ctx, deps.registry, () => broker)], routes: [], ports: {} };
}
