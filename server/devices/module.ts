// The devices domain as the platform composes it: the AP and mismatch pages and API (web role);
// the consumers of what the broker hears from the APs (worker role): connection events and the
// sweep of broker nodes that died. Status reports arrive through the pipeline's uplink worker,
// which hands them to the `applyStatus` port.
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { StatusSink } from '../tasks/uplink-worker.js';
import { ConnectionEventsWorker } from './connection-events-worker.js';
import { ConnectionHistoryPruner } from './connection-history-pruner.js';
import { devicesRoutes } from './devices-routes.js';
import { DevicesService } from './devices-service.js';
import { StalePresenceSweeper } from './stale-presence-sweeper.js';
import { applyStatus } from './status-applier.js';

export interface DevicesPorts {
  /** Applies one validated status report (the tasks module's uplink worker calls it). */
  applyStatus: StatusSink;
}

export function createDevicesModule(ctx: AppContext, roles: ReadonlySet<Role>): DomainModule<DevicesPorts> {
  const { pool, config, log } = ctx;
  return {
    name: 'devices',
    services: roles.has('worker')
      ? [
          new ConnectionEventsWorker(pool, ctx.redisUrl, config.REDIS_PREFIX, log),
          new StalePresenceSweeper(ctx),
          new ConnectionHistoryPruner(pool, config.CONNECTION_HISTORY_RETENTION_DAYS, log),
        ]
      : [],
    routes: [devicesRoutes(new DevicesService(pool))],
    ports: {
      applyStatus: async (from, status) => {
        const r = await applyStatus(pool, from, status);
        if (r.unknownModels.length)
          log.warn(
            { clientId: from.clientId, models: r.unknownModels.slice(0, 10) },
            'status names label models the platform does not know; those labels keep their model',
          );
        return r;
      },
    },
  };
}
