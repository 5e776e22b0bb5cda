// The embedded default's demo: a store seeded once, and a small, clearly labelled fleet of
// simulated APs (sim/) connected to the in-process broker with a real AccessKey, so a new
// user can change a price and watch every label confirm. Never started outside the embedded
// default (config.DEMO and no external MySQL/Redis).
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import type { BrokerService } from '../../broker/index.js';
import type { Config } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { withTx } from '../db/pool.js';
import type { RegistryService } from '../registry/registry-service.js';
import { Fleet } from '../../sim/fleet.js';
import { demoLabels, findDemoStore, insertDemoStore } from './demo-repo.js';

export const DEMO_GROUP_ID = 'GID_DEMO';
const DEVICE_PREFIX = 'SIMULATED-AP';

export class DemoFleet implements Service {
  readonly name = 'demo-fleet';
  private fleet: Fleet | null = null;

  constructor(
    private readonly ctx: Pick<AppContext, 'pool' | 'log'> & {
      config: Pick<Config, 'DEMO_APS' | 'DEMO_LABELS_PER_AP' | 'MQTT_PARENT_TOPIC'>;
    },
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
      await this.registry.createGroup(SYSTEM_ACTOR, {
        groupId: DEMO_GROUP_ID,
        description: 'Demo store (simulated APs)',
      });
    }
    const storeId =
      (await findDemoStore(pool)) ??
      (await withTx(pool, (c) =>
        insertDemoStore(c, DEMO_GROUP_ID, config.DEMO_APS * config.DEMO_LABELS_PER_AP),
      ));
    // Each simulated AP logs in with its own device credential, as a real AP would. A secret is
    // shown only once, so every start rotates the existing credentials (audited) or issues new ones.
    const known = new Map((await this.registry.listDeviceCredentials()).map((c) => [c.client_id, c]));
    const byClientId = new Map<string, { deviceAccessKeyId: string; deviceAccessKeySecret: string }>();
    const revoked = new Set<string>();
    for (const clientId of Fleet.clientIds([DEMO_GROUP_ID], config.DEMO_APS, DEVICE_PREFIX)) {
      const had = known.get(clientId);
      // An admin who revoked a simulated AP's credential keeps it out: that AP stays offline.
      if (had?.revoked_at) {
        revoked.add(clientId);
        log.warn(
          { clientId },
          'simulated AP left out: its device credential is revoked (rotate it on the MQTT credentials page to bring it back)',
        );
        continue;
      }
      byClientId.set(
        clientId,
        had
          ? await this.registry.rotateDeviceCredential(SYSTEM_ACTOR, had.device_access_key_id)
          : await this.registry.issueDeviceCredential(SYSTEM_ACTOR, { clientId }),
      );
    }
    this.fleet = new Fleet({
      url: `mqtt://127.0.0.1:${port}`,
      parentTopic: config.MQTT_PARENT_TOPIC,
      groups: new Map([[DEMO_GROUP_ID, await demoLabels(pool, storeId)]]),
      apsPerGroup: config.DEMO_APS,
      devicePrefix: DEVICE_PREFIX,
      deviceCredentials: { instanceId: broker.instanceId, byClientId },
      exclude: revoked,
      knobs: { latencyMs: 300, statusIntervalMs: 30_000 },
      // one image-capable AP, so the demo shows delivered label images next to field-only APs
      imageAps: 1,
      // every demo AP carries out label commands (LED flash, find, page switch)
      commandCaps: ['led', 'page'],
    });
    // A simulated AP the broker refuses is reported and left out; it never fails the platform's start.
    await this.fleet.start(20, (clientId, err) =>
      log.warn({ clientId, err: err.message }, 'simulated AP could not connect and is left out'),
    );
    log.info(
      {
        aps: this.fleet.aps.length,
        labels: config.DEMO_APS * config.DEMO_LABELS_PER_AP,
        groupId: DEMO_GROUP_ID,
      },
      'demo fleet of SIMULATED APs started (store DEMO)',
    );
  }

  async stop() {
    await this.fleet?.stop();
    this.fleet = null;
  }
}
