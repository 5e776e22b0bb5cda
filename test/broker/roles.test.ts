// How the platform composes the broker per role: in-process with every listener off (the
// test default), and a worker-only platform that reaches devices through an MQTT client with
// the platform's service identity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerService, MqttDownlink } from '../../broker/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { connectDevice, inbox, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

describe('platform roles', () => {
  let f: BrokerFixture;
  let worker: TestPlatform;
  beforeAll(async () => {
    f = await startBroker();
  });
  afterAll(async () => {
    await worker?.close();
    await f?.close();
  });

  it('runs the broker in process with every listener off when the ports are 0', async () => {
    const p = await startTestPlatform({ ROLES: 'broker' });
    try {
      const broker = p.services.find((s) => s.name === 'broker') as BrokerService;
      expect(broker.ports).toEqual({ tcp: null, tls: null, ws: null, wss: null });
      expect(broker.serverUrls()).toEqual([]);
      await broker.publish(`${p.config.MQTT_PARENT_TOPIC}/task/GID_nobody`, '{}', 1);
    } finally {
      await p.close();
    }
  });

  it('runs on in-memory persistence with MQTT_CLUSTER off', async () => {
    const one = await startBroker({ MQTT_CLUSTER: '0' });
    try {
      const g = await one.newGroup();
      const ap = await connectDevice(one, g, 'mem', { clean: false });
      const got = inbox(ap);
      await ap.subscribeAsync(Object.fromEntries([[`${one.parent}/task/${g.groupId}`, { qos: 1 as const }]]));
      await one.broker.publish(`${one.parent}/task/${g.groupId}`, 'in-memory', 1);
      await one.broker.publish(`${one.parent}/p2p/${g.groupId}@@@mem`, 'p2p-in-memory', 1);
      await waitFor('delivery', () => got.length === 2);
      await ap.endAsync();
    } finally {
      await one.close();
    }
  });

  it('gives a worker without the broker role an MQTT downlink with the platform identity', async () => {
    const g = await f.newGroup();
    const ap = await connectDevice(f, g, 'w1');
    const got = inbox(ap);
    await ap.subscribeAsync(`${f.parent}/task/${g.groupId}`, { qos: 1 });
    worker = await startTestPlatform({
      ROLES: 'worker',
      MQTT_URL: f.url(),
      INSTANCE_ID: f.broker.instanceId,
      MQTT_PARENT_TOPIC: f.parent,
    });
    const downlink = worker.services.find((s) => s.name === 'mqtt-downlink') as MqttDownlink;
    expect(downlink).toBeDefined();
    await downlink.publish(`${f.parent}/task/${g.groupId}`, 'via-mqtt-downlink', 1);
    await downlink.publish(`${f.parent}/p2p/${g.groupId}@@@w1`, 'p2p-via-downlink', 1);
    await waitFor('downlink delivery', () => got.length === 2);
    expect(got.map((m) => m.payload).sort()).toEqual(['p2p-via-downlink', 'via-mqtt-downlink']);
    await ap.endAsync();
  });
});
