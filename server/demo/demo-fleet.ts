// The embedded default's demo: a store seeded once, and a small, clearly labelled fleet of
// simulated APs (sim/) connected to the in-process broker with a real AccessKey, so a new
// user can change a price and watch every label confirm. Never started outside the embedded
// default (config.DEMO and no external MySQL/Redis).
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import type { BrokerService } from '../../broker/index.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { withTx } from '../db/pool.js';
import type { RegistryService } from '../registry/registry-service.js';
import { Fleet } from '../../sim/fleet.js';
import { demoLabels, findDemoStore, insertDemoStore } from './demo-repo.js';

export const DEMO_GROUP_ID = 'GID_DEMO';
const KEY_DESCRIPTION = 'demo fleet (simulated APs)';

export class DemoFleet implements Service {
  readonly name = 'demo-fleet';
  private fleet: Fleet | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly registry: RegistryService,
    private readonly broker: () => BrokerService | null,
  ) {}

  async start() {
    const { config, log, pool } = this.ctx;
    const broker = this.broker();
    const port = broker?.ports.tcp;
    if (!broker || !port) {
      log.warn('demo fleet not started: no in-process broker with a TCP listener');
      return;
    }
    if (!(await this.registry.listGroups()).some((g) => g.group_id === DEMO_GROUP_ID)) {
      await this.registry.createGroup(SYSTEM_ACTOR, { groupId: DEMO_GROUP_ID, description: 'Demo store (simulated APs)' });
    }
    const storeId =
      (await findDemoStore(pool)) ??
      (await withTx(pool, (c) => insertDemoStore(c, DEMO_GROUP_ID, config.DEMO_APS * config.DEMO_LABELS_PER_AP)));
    // The secret of an AccessKey is shown once, so each start issues a fresh key and revokes the old ones.
    for (const k of await this.registry.listAccessKeys()) {
      if (k.description === KEY_DESCRIPTION && !k.revoked_at) await this.registry.revokeAccessKey(SYSTEM_ACTOR, k.access_key_id);
    }
    const key = await this.registry.issueAccessKey(SYSTEM_ACTOR, { description: KEY_DESCRIPTION, groupIds: [DEMO_GROUP_ID] });
    this.fleet = new Fleet({
      url: `mqtt://127.0.0.1:${port}`,
      parentTopic: config.MQTT_PARENT_TOPIC,
      groups: new Map([[DEMO_GROUP_ID, await demoLabels(pool, storeId)]]),
      apsPerGroup: config.DEMO_APS,
      devicePrefix: 'SIMULATED-AP',
      credentials: { accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, instanceId: broker.instanceId },
      knobs: { latencyMs: 300, statusIntervalMs: 30_000 },
    });
    await this.fleet.start();
    log.info({ aps: config.DEMO_APS, labels: config.DEMO_APS * config.DEMO_LABELS_PER_AP, groupId: DEMO_GROUP_ID }, 'demo fleet of SIMULATED APs started (store DEMO)');
  }

  async stop() {
    await this.fleet?.stop();
    this.fleet = null;
  }
}
