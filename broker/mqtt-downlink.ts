// The downlink when the worker runs apart from the broker: an MQTT client with the platform's
// service identity (user name `Platform|<InstanceId>`, the platform secret), persistent session,
// so its P2P messages to offline targets are kept (the seed's sender rule).
import crypto from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Service } from '../server/core/lifecycle.js';
import type { DownlinkPublisher } from './downlink.js';

export interface MqttDownlinkOptions {
  url: string;
  instanceId: string;
  secret: string;
  nodeId: string;
  ca?: string;
}

export class MqttDownlink implements Service, DownlinkPublisher {
  readonly name = 'mqtt-downlink';
  private client: MqttClient | null = null;

  constructor(private readonly o: MqttDownlinkOptions) {}

  async start() {
    const clientId = `platform-${this.o.nodeId.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 40)}-${crypto.randomBytes(3).toString('hex')}`;
    this.client = await mqtt.connectAsync(this.o.url, {
      clientId,
      username: `Platform|${this.o.instanceId}`,
      password: this.o.secret,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      ca: this.o.ca,
    });
  }

  async stop() {
    await this.client?.endAsync();
  }

  async publish(topic: string, payload: Buffer | string, qos: 0 | 1) {
    if (!this.client) throw new Error('downlink not started');
    await this.client.publishAsync(topic, payload, { qos });
  }
}
