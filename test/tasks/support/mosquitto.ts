// A real MQTT broker for pipeline tests that must not depend on the integrated broker's
// state: mosquitto on an ephemeral port, anonymous, in a temp dir; plus the two faces the
// platform's broker would provide (a DownlinkPublisher, and uplink publishes into BullMQ).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { EventQueues } from '../../../broker/event-queues.js';
import type { DownlinkPublisher } from '../../../broker/downlink.js';
import { LocalServer } from './local-server.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export class Mosquitto extends LocalServer {
  constructor() {
    super('mosq', 0);
  }

  get url() {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  override async start() {
    this.port ||= await freePort();
    await super.start();
  }

  protected command(): [string, string[]] {
    const conf = path.join(this.dir, 'mosquitto.conf');
    fs.writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${this.dir}/`,
        'max_queued_messages 100000',
        'max_inflight_messages 100',
        'log_type error',
      ].join('\n') + '\n',
    );
    return ['/usr/sbin/mosquitto', ['-c', conf]];
  }
}

/** DownlinkPublisher over an MQTT client, as the platform uses in split deployments. */
export async function mqttDownlink(
  url: string,
  clientId: string,
): Promise<DownlinkPublisher & { client: MqttClient; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId, clean: true, reconnectPeriod: 500 });
  return {
    client,
    publish: async (topic, payload, qos) => {
      await client.publishAsync(topic, payload, { qos });
    },
    close: () => client.endAsync(),
  };
}

/** Stands in for the integrated broker's uplink hook: every ack/status publish becomes a BullMQ job. */
export async function uplinkBridge(url: string, redisUrl: string, prefix: string, parent = 'esl') {
  const queues = new EventQueues(redisUrl, prefix, 'mosquitto');
  const client = await mqtt.connectAsync(url, { clientId: `bridge-${prefix}`, clean: true });
  client.on('message', (topic, payload) => {
    void queues.addUplink([topic, payload.toString('utf8'), 1, Date.now()]);
  });
  await client.subscribeAsync([`${parent}/ack/+/+`, `${parent}/status/+/+`], { qos: 1 });
  return {
    close: async () => {
      await client.endAsync();
      await queues.close();
    },
  };
}
