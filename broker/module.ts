// The integrated broker as the platform composes it: the broker itself for the 'broker' role
// and, for a 'worker' role running without it, the MQTT client that publishes to the devices
// through the brokers (MQTT_URL). Both are the worker's downlink, handed to the pipeline.
import type { AppContext } from '../server/core/context.js';
import type { Service } from '../server/core/lifecycle.js';
import type { DomainModule } from '../server/core/module.js';
import { BrokerService, loadPlatformSecret } from './broker-service.js';
import type { DownlinkPublisher } from './downlink.js';
import { MqttDownlink } from './mqtt-downlink.js';
import { brokerOptionsFrom } from './options.js';
import { ensureInstanceId } from './registry/instance-repo.js';

type Role = AppContext['config']['ROLES'][number];

export interface BrokerPorts {
  /** The broker in this process (broker role), else null. */
  broker: BrokerService | null;
  /** How the worker role publishes to devices: the in-process broker or an MQTT client; null without the worker role. */
  downlink: DownlinkPublisher | null;
}

export async function createBrokerModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
): Promise<DomainModule<BrokerPorts>> {
  const { config, pool, log } = ctx;
  const services: Service[] = [];
  const broker = roles.has('broker')
    ? new BrokerService(brokerOptionsFrom(config, ctx.redisUrl), pool, log)
    : null;
  let downlink: DownlinkPublisher | null = null;
  if (broker) services.push(broker);
  if (roles.has('worker')) {
    if (broker) downlink = broker;
    else {
      if (!config.MQTT_URL)
        throw new Error('MQTT_URL is required for the worker role without the broker role');
      const mqttDownlink = new MqttDownlink({
        url: config.MQTT_URL,
        instanceId: config.INSTANCE_ID ?? (await ensureInstanceId(pool, `mqtt-${Date.now().toString(36)}`)),
        secret: loadPlatformSecret(config.PLATFORM_MQTT_SECRET, config.DATA_DIR),
        nodeId: config.MQTT_NODE_ID ?? `worker-${process.pid}`,
      });
      services.push(mqttDownlink);
      downlink = mqttDownlink;
    }
  }
  return { name: 'broker', services, routes: [], ports: { broker, downlink } };
}
