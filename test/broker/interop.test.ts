// The Eclipse Paho MQTT 3.1.1 interoperability suite (paho.mqtt.testing, interoperability/
// client_test.py), adapted to vitest and mqtt.js against a 'general' Group ID. Changed only for
// the seed's rules: the Client IDs are `<GroupID>@@@myclientid` and `<GroupID>@@@myclientid2`,
// every topic and filter is under a registered parent topic P (`TopicA` is `P/TopicA`, `+/+` is
// `P/+/+`, `/TopicA` is `P//TopicA`), clients sign with an AccessKey allowed to publish and
// subscribe on `P/#`, and the filter nobody may subscribe to is one under another registered
// parent topic the key has no permission on. The zero-length Client ID test is left out: the
// Client ID rules forbid one. Where the original pauses a client's packet processing (paho's
// pause()) or lets a client fall silent without its pings, a raw socket does the same.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { uid } from '../support/env.js';
import { RawMqtt } from '../support/raw-mqtt.js';
import { grants, inbox, sleep, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: { groupId: string; accessKeyId: string; secret: string };
let P: string;
let topics: string[];
let wildtopics: string[];
let nosubscribe: string;

beforeAll(async () => {
  f = await startBroker();
  P = f.parent;
  const other = `${P}x`;
  await f.registry.createParentTopic(SYSTEM_ACTOR, { name: other });
  const groupId = `GID_${uid(4)}`;
  await f.registry.createGroup(SYSTEM_ACTOR, { groupId, clientClass: 'general' });
  const k = await f.registry.issueAccessKey(SYSTEM_ACTOR, {
    groupIds: [groupId],
    permissions: [{ actions: ['publish', 'subscribe'], topics: [`${P}/#`] }],
  });
  g = { groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret };
  topics = ['TopicA', 'TopicA/B', 'Topic/C', 'TopicA/C', '/TopicA'].map((t) => `${P}/${t}`);
  wildtopics = ['TopicA/+', '+/C', '#', '/#', '/+', '+/+', 'TopicA/#'].map((t) => `${P}/${t}`);
  nosubscribe = `${other}/nosubscribe`;
});
afterAll(async () => {
  await f?.close();
});

const cid = (name: string) => `${g.groupId}@@@${name}`;
const auth = (name: string) => ({
  clientId: cid(name),
  username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
  password: hmacB64(g.secret, cid(name)),
});

async function client(name: string, opts: Parameters<typeof tryConnect>[1] = {}): Promise<MqttClient> {
  const r = await tryConnect(f.url(), { ...auth(name), clean: true, ...opts });
  if (!r.client) throw new Error(`connect refused: ${r.code}`);
  return r.client;
}

/** A raw MQTT connection to the fixture's broker, signing as `name` (test/support/raw-mqtt.ts). */
class Raw extends RawMqtt {
  constructor() {
    super(f.broker.ports.tcp!, auth);
  }
}

/** paho's cleanup(): both Client IDs connect with a clean session and leave. */
beforeEach(async () => {
  for (const name of ['myclientid', 'myclientid2']) await (await client(name, { clean: true })).endAsync();
});

describe('Paho MQTT 3.1.1 interoperability suite, on a general Group ID', () => {
  it('basic test', async () => {
    let a = await client('myclientid');
    await a.endAsync();
    a = await client('myclientid');
    const got = inbox(a);
    await a.subscribeAsync(topics[0], { qos: 2 });
    await a.publishAsync(topics[0], 'qos 0', { qos: 0 });
    await a.publishAsync(topics[0], 'qos 1', { qos: 1 });
    await a.publishAsync(topics[0], 'qos 2', { qos: 2 });
    await waitFor('3 messages', () => got.length >= 3);
    await sleep(200);
    await a.endAsync();
    expect(got.map((m) => m.payload).sort()).toEqual(['qos 0', 'qos 1', 'qos 2']);

    // a second CONNECT on the socket is a protocol violation (MQTT-3.1.0-2): closed
    const twice = new Raw();
    expect((await twice.connect('myclientid'))?.returnCode).toBe(0);
    await twice.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: cid('myclientid') });
    await waitFor('second CONNECT closed', () => twice.closed);

    // a wrong protocol name: closed without an accepting CONNACK (MQTT-3.1.2-1)
    const hj = new Raw();
    expect(await hj.connect('myclientid', { protocolId: 'hj' })).toBeNull();
    expect(hj.of('connack').filter((c) => c.returnCode === 0)).toEqual([]);
  });

  it('retained message test', async () => {
    let a = await client('myclientid', { clean: true });
    let got = inbox(a);
    await a.publishAsync(topics[1], 'qos 0', { qos: 0, retain: true });
    await a.publishAsync(topics[2], 'qos 1', { qos: 1, retain: true });
    await a.publishAsync(topics[3], 'qos 2', { qos: 2, retain: true });
    await sleep(200);
    await a.subscribeAsync(wildtopics[5], { qos: 2 });
    await waitFor('3 retained messages', () => got.length >= 3);
    await sleep(200);
    await a.endAsync();
    expect(got).toHaveLength(3);

    // clear the retained messages
    a = await client('myclientid', { clean: true });
    got = inbox(a);
    await a.publishAsync(topics[1], '', { qos: 0, retain: true });
    await a.publishAsync(topics[2], '', { qos: 1, retain: true });
    await a.publishAsync(topics[3], '', { qos: 2, retain: true });
    await sleep(200);
    await a.subscribeAsync(wildtopics[5], { qos: 2 });
    await sleep(200);
    await a.endAsync();
    expect(got).toEqual([]);
  });

  it('offline message queueing test', async () => {
    let a = await client('myclientid', { clean: false });
    await a.subscribeAsync(wildtopics[5], { qos: 2 });
    await a.endAsync();

    const b = await client('myclientid2');
    await b.publishAsync(topics[1], 'qos 0', { qos: 0 });
    await b.publishAsync(topics[2], 'qos 1', { qos: 1 });
    await b.publishAsync(topics[3], 'qos 2', { qos: 2 });
    await b.endAsync();

    a = await client('myclientid', { clean: false });
    const got = inbox(a);
    await waitFor('queued messages', () => got.length >= 2);
    await sleep(200);
    await a.endAsync();
    expect([2, 3]).toContain(got.length);
  });

  it('will message test', async () => {
    const a = await client('myclientid', {
      clean: true,
      keepalive: 2,
      will: { topic: topics[2], payload: Buffer.from('client not disconnected'), qos: 0, retain: false },
    });
    const b = await client('myclientid2', { clean: false });
    const got = inbox(b);
    await b.subscribeAsync(topics[2], { qos: 2 });
    await sleep(100);
    a.stream.destroy(); // terminate: the connection is lost, no DISCONNECT
    await waitFor('the will message', () => got.length >= 1);
    await sleep(200);
    await b.endAsync();
    expect(got).toEqual([expect.objectContaining({ topic: topics[2], payload: 'client not disconnected' })]);
  });

  it('overlapping subscriptions test', async () => {
    const a = await client('myclientid');
    const got = inbox(a);
    await a.subscribeAsync({ [wildtopics[6]]: { qos: 2 }, [wildtopics[0]]: { qos: 1 } });
    await a.publishAsync(topics[3], 'overlapping topic filters', { qos: 2 });
    await waitFor('a message', () => got.length >= 1);
    await sleep(1000);
    expect([1, 2]).toContain(got.length);
    if (got.length === 1) expect(got[0].qos).toBe(2);
    else expect(got.map((m) => m.qos).sort()).toEqual([1, 2]);
    await a.endAsync();
  });

  it('keepalive test', async () => {
    // a client that falls silent: keepalive 5, no PINGREQ ever
    const a = new Raw();
    const ok = await a.connect('myclientid', {
      keepalive: 5,
      will: { topic: topics[4], payload: Buffer.from('keepalive expiry'), qos: 0, retain: false },
    });
    expect(ok?.returnCode).toBe(0);
    const b = await client('myclientid2', { clean: true, keepalive: 0 });
    const got = inbox(b);
    await b.subscribeAsync(topics[4], { qos: 2 });
    await waitFor('the will after 1.5 x keepalive', () => got.length >= 1);
    await waitFor('the silent client closed', () => a.closed);
    await b.endAsync();
    expect(got).toEqual([expect.objectContaining({ topic: topics[4], payload: 'keepalive expiry' })]);
  });

  it('redelivery on reconnect test', async () => {
    // b subscribes with a persistent session, then is "paused": it acknowledges nothing it receives
    const b = new Raw();
    expect((await b.connect('myclientid2', { clean: false }))?.returnCode).toBe(0);
    await b.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: wildtopics[6], qos: 2 }] });
    await waitFor('SUBACK', () => b.of('suback').length === 1);
    // its own QoS 2 publish completes (PUBREL on PUBREC), so the broker publishes it
    b.onPacket = (p) => {
      if (p.cmd === 'pubrec') void b.send({ cmd: 'pubrel', messageId: p.messageId });
    };
    await b.send({
      cmd: 'publish',
      topic: topics[1],
      payload: '',
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    await b.send({
      cmd: 'publish',
      topic: topics[3],
      payload: '',
      qos: 2,
      messageId: 3,
      retain: false,
      dup: false,
    });
    await waitFor('both delivered, unacknowledged', () => b.of('publish').length >= 2);
    await b.send({ cmd: 'disconnect' });
    await waitFor('closed', () => b.closed);

    const again = new Raw();
    again.onPacket = (p) => {
      if (p.cmd === 'publish' && p.qos === 1) void again.send({ cmd: 'puback', messageId: p.messageId });
      if (p.cmd === 'publish' && p.qos === 2) void again.send({ cmd: 'pubrec', messageId: p.messageId });
      if (p.cmd === 'pubrel') void again.send({ cmd: 'pubcomp', messageId: p.messageId });
    };
    expect((await again.connect('myclientid2', { clean: false }))?.returnCode).toBe(0);
    await waitFor('redelivered', () => again.of('publish').length >= 2);
    await sleep(500);
    const redelivered = again.of('publish');
    expect(redelivered.map((p) => p.topic).sort()).toEqual([topics[1], topics[3]].sort());
    await again.send({ cmd: 'disconnect' });
  });

  it('subscribe failure test', async () => {
    const a = await client('myclientid');
    expect(await grants(a, [nosubscribe], 2)).toEqual([0x80]);
    expect(a.connected).toBe(true);
    await a.endAsync();
  });

  it('$ topics test', async () => {
    const b = await client('myclientid2', { clean: true, keepalive: 0 });
    const got = inbox(b);
    await b.subscribeAsync(wildtopics[5], { qos: 2 });
    await sleep(1000); // wait for all retained messages, hopefully
    got.length = 0;
    await b.publishAsync(`$${topics[1]}`, '', { qos: 1, retain: false });
    await sleep(200);
    expect(got).toEqual([]);
    expect(b.connected).toBe(true);
    await b.endAsync();
  });
});
