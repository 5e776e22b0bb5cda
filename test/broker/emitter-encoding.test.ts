// broker/emitter-encoding.ts writes the `{ id, msg }` msgpack that mqemitter-redis carries
// between nodes without msgpack-lite: a node running the stock emitter (msgpack-lite) must
// decode every message to exactly what msgpack-lite's own encoding decodes to.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeEmitted } from '../../broker/emitter-encoding.js';

const require = createRequire(import.meta.url);
const msgpack = createRequire(require.resolve('mqemitter-redis'))('msgpack-lite') as {
  encode(v: unknown): Buffer;
  decode(b: Buffer): unknown;
};

const packets: Record<string, unknown>[] = [
  {
    cmd: 'publish',
    brokerId: 'node-1-ab12cd',
    brokerCounter: 7,
    topic: 'esl/status/GID_a/D1',
    payload: Buffer.alloc(256, 120),
    qos: 1,
    retain: false,
    dup: false,
    messageId: undefined,
    clientId: 'GID_a@@@D1',
  },
  {
    cmd: 'publish',
    topic: '$SYS/node/new/clients',
    payload: Buffer.from('GID_a@@@D1'),
    qos: 0,
    retain: true,
  },
  {
    topic: 'esl/任务/'.padEnd(40, 'x'),
    payload: Buffer.alloc(70_000, 1),
    brokerCounter: 2 ** 40,
    n1: 127,
    n2: 128,
    n3: 255,
    n4: 65_535,
    n5: 65_536,
    n6: -1,
    n7: -33,
    n8: -129,
    n9: -40_000,
    n10: -(2 ** 33),
    f: 1.5,
    nul: null,
    s: 'y'.repeat(300),
  },
  { topic: 't', payload: Buffer.alloc(0), long: 'z'.repeat(70_000), medium: Buffer.alloc(300) },
  // left to msgpack-lite: nested values
  { topic: 't', payload: Buffer.from('a'), properties: { userProperties: { a: 'b' } } },
];

describe('emitted messages', () => {
  it('decode with msgpack-lite to what msgpack-lite encodes', () => {
    for (const msg of packets) {
      const id = `0123456789abcdef/${(1234).toString(36)}`;
      const ours = encodeEmitted(id, msg);
      expect(msgpack.decode(ours)).toEqual(msgpack.decode(msgpack.encode({ id, msg })));
      // the origin check of local-emitter.ts reads a fixmap of two with "id" first
      expect([...ours.subarray(0, 4)]).toEqual([0x82, 0xa2, 0x69, 0x64]);
    }
  });
});
