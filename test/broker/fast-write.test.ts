// broker/fast-write.ts writes PUBLISH, PUBACK and CONNACK as one buffer and reuses a QoS 0 PUBLISH's
// bytes for the next subscriber of the same message: every packet must be byte for byte what
// mqtt-packet writes (aedes' own writer), and reused bytes never stale.
import { PassThrough } from 'node:stream';
import { createRequire } from 'node:module';
import { generate, type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { fastWrites, writeQos0 } from '../../broker/fast-write.js';

const require = createRequire(import.meta.url);
// the exports object aedes calls writeToStream on
const mqttPacket = require('mqtt-packet') as { writeToStream(p: object, s: PassThrough): boolean };

/** What writeToStream puts on a stream of the broker's listeners, as one buffer, and in how many writes. */
async function written(write: (s: PassThrough) => void): Promise<{ bytes: Buffer; writes: number }> {
  const s = new PassThrough();
  fastWrites(s);
  let writes = 0;
  const w = s.write.bind(s);
  s.write = ((chunk: unknown, ...rest: never[]) => {
    writes++;
    return w(chunk as Buffer, ...rest);
  }) as typeof s.write;
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  write(s);
  await new Promise((r) => setImmediate(r));
  return { bytes: Buffer.concat(chunks), writes };
}

const publishes: Packet[] = [
  {
    cmd: 'publish',
    topic: 'esl/task/GID_a',
    payload: Buffer.from('{"x":1}'),
    qos: 0,
    retain: false,
    dup: false,
  },
  {
    cmd: 'publish',
    topic: 'esl/status/GID_a/D1',
    payload: Buffer.alloc(0),
    qos: 0,
    retain: true,
    dup: false,
  },
  {
    cmd: 'publish',
    topic: 'esl/ack/GID_a/D1',
    payload: Buffer.alloc(300, 7),
    qos: 1,
    messageId: 1,
    retain: false,
    dup: true,
  },
  {
    cmd: 'publish',
    topic: 'esl/价格/GID_a',
    payload: Buffer.alloc(20_000, 1),
    qos: 2,
    messageId: 65535,
    retain: true,
    dup: false,
  },
  {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(2_100_000, 2),
    qos: 1,
    messageId: 0,
    retain: false,
    dup: false,
  },
  {
    cmd: 'publish',
    topic: 'a/'.repeat(200),
    payload: Buffer.alloc(127, 3),
    qos: 0,
    retain: false,
    dup: true,
  },
];

describe('fast writes', () => {
  it('write each PUBLISH, PUBACK and CONNACK as mqtt-packet does, in one write', async () => {
    const packets: Packet[] = [
      ...publishes,
      { cmd: 'puback', messageId: 1 },
      { cmd: 'puback', messageId: 65535 },
      { cmd: 'connack', returnCode: 0, sessionPresent: false },
      { cmd: 'connack', returnCode: 5, sessionPresent: true },
    ];
    for (const p of packets) {
      const { bytes, writes } = await written((s) => mqttPacket.writeToStream(p, s));
      expect(bytes.equals(generate(p)), `${p.cmd} ${JSON.stringify({ ...p, payload: undefined })}`).toBe(
        true,
      );
      expect(writes).toBe(1);
    }
  });

  it('write a delivery at QoS 0 as aedes would (its Packet at QoS 0)', async () => {
    for (const p of publishes) {
      const { bytes } = await written((s) => writeQos0(s, p as Parameters<typeof writeQos0>[1]));
      expect(bytes.equals(generate({ ...p, qos: 0, messageId: undefined } as Packet))).toBe(true);
    }
  });

  it('reuse a QoS 0 message for the next subscriber, never a payload changed in place since', async () => {
    const payload = Buffer.from('price 1.00');
    const p = {
      cmd: 'publish',
      topic: 'esl/task/GID_a',
      payload,
      qos: 0,
      retain: false,
      dup: false,
    } as const;
    const first = await written((s) => mqttPacket.writeToStream(p, s));
    const again = await written((s) => mqttPacket.writeToStream({ ...p }, s));
    expect(again.bytes.equals(first.bytes)).toBe(true);
    payload.write('price 2.00');
    const changed = await written((s) => mqttPacket.writeToStream(p, s));
    expect(changed.bytes.equals(generate(p))).toBe(true);
    expect(changed.bytes.equals(first.bytes)).toBe(false);
    const retained = await written((s) => mqttPacket.writeToStream({ ...p, retain: true }, s));
    expect(retained.bytes.equals(generate({ ...p, retain: true }))).toBe(true);
  });

  it('leave every other packet, and other streams, to mqtt-packet', async () => {
    const others: Packet[] = [
      { cmd: 'suback', messageId: 3, granted: [1, 128] },
      { cmd: 'pubrel', messageId: 4 },
      { cmd: 'publish', topic: 'esl/x', payload: 'a string payload', qos: 0, retain: false, dup: false },
    ];
    for (const p of others) {
      const { bytes } = await written((s) => mqttPacket.writeToStream(p, s));
      expect(bytes.equals(generate(p))).toBe(true);
    }
    // a stream the listeners did not register: mqtt-packet's own writes, one per field
    const plain = new PassThrough();
    let writes = 0;
    const w = plain.write.bind(plain);
    plain.write = ((c: Buffer) => (writes++, w(c))) as typeof plain.write;
    mqttPacket.writeToStream(publishes[0], plain);
    expect(writes).toBeGreaterThan(1);
  });
});
