// broker/parser-buffers.ts makes mqtt-packet's parser keep a packet's bytes in a plain BufferList
// instead of a BufferListStream. Every packet the broker reads must parse as before: each kind,
// whole, byte by byte, split at random, several in one chunk, a body over many reads, and the
// parser must go on after a malformed packet. A parser that differs from mqtt-packet 9's (a
// reset more, its list used as a stream or handed elsewhere) is left alone.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { BufferList as BufferListClass } from 'bl';
import { parser as mqttParser, generate, type Packet } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  directReads,
  parserAsExpected,
  usePlainParserBuffers,
  type ParserClass,
  type ParserModules,
} from '../../broker/parser-buffers.js';

/** bl's BufferList as mqtt-packet loads it (bl is mqtt-packet's dependency, not the project's) */
const { BufferList } = createRequire(createRequire(import.meta.url).resolve('mqtt-packet/parser.js'))(
  'bl',
) as {
  BufferList: typeof BufferListClass;
};

interface Parsing {
  _list: unknown;
  parse(b: Buffer): number;
  on(e: 'packet', f: (p: Packet) => void): void;
  on(e: 'error', f: (e: Error) => void): void;
}

const packets: Packet[] = [
  {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    clientId: 'GID_esl@@@ap-0001',
    username: 'Signature|LTAIkey|MQTT_instance',
    password: Buffer.from('c2lnbmF0dXJl'),
    will: { topic: 'esl/status/ap-0001', payload: Buffer.from('offline'), qos: 1, retain: false },
  },
  { cmd: 'connack', returnCode: 0, sessionPresent: false },
  {
    cmd: 'publish',
    topic: 'esl/task/GID_esl',
    payload: Buffer.from('{"sku":"6901"}'),
    qos: 0,
    retain: false,
    dup: false,
  },
  {
    cmd: 'publish',
    topic: 'esl/ack/GID_esl',
    payload: Buffer.alloc(70_000, 0x41),
    qos: 1,
    messageId: 513,
    retain: false,
    dup: true,
  },
  { cmd: 'puback', messageId: 513 },
  { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'esl/task/#', qos: 1 }] },
  { cmd: 'suback', messageId: 2, granted: [1] },
  { cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['esl/task/#'] },
  { cmd: 'pingreq' },
  { cmd: 'disconnect' },
];

function newParser() {
  const p = mqttParser({ protocolVersion: 4 }) as unknown as Parsing;
  const got: Packet[] = [];
  const errors: Error[] = [];
  p.on('packet', (x) => got.push(x));
  p.on('error', (e) => errors.push(e));
  return { p, got, errors };
}

/** The packets parsed from `chunks`, written back: byte for byte what went in when parsed right. */
function reparsed(chunks: Buffer[]) {
  const { p, got, errors } = newParser();
  for (const c of chunks) p.parse(c);
  expect(errors).toEqual([]);
  return got.map((x) => generate(x).toString('base64'));
}
const b64 = (b: Buffer) => b.toString('base64');

describe('mqtt-packet parser with a plain buffer list', () => {
  beforeAll(() => {
    expect(usePlainParserBuffers()).toBe(true);
  });

  it('keeps each connection’s bytes in a plain list with direct reads, not a stream', () => {
    const { p } = newParser();
    expect((p._list as { constructor: { name: string } }).constructor.name).toBe('DirectReadList');
    expect(BufferList.isBufferList(p._list)).toBe(true);
    expect((p._list as { pipe?: unknown }).pipe).toBeUndefined();
  });

  it('parses every kind of packet whole, byte by byte and split at random', () => {
    const bytes = packets.map((x) => generate(x));
    for (const b of bytes) expect(reparsed([b])).toEqual([b64(b)]);
    for (const b of bytes.filter((x) => x.length < 1000))
      expect(reparsed([...b].map((x) => Buffer.from([x])))).toEqual([b64(b)]);
    const all = Buffer.concat(bytes);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < all.length;) {
        const n = 1 + Math.floor(random() * 9000);
        chunks.push(all.subarray(at, at + n));
        at += n;
      }
      expect(reparsed(chunks)).toEqual(bytes.map(b64));
    }
    expect(reparsed([all])).toEqual(bytes.map(b64));
  });

  it('goes on after a malformed packet, as before', () => {
    const { p, got, errors } = newParser();
    // a PUBLISH with QoS 3 in its fixed header: invalid
    p.parse(Buffer.from([0x36, 0x02, 0x00, 0x00]));
    expect(errors.length).toBe(1);
    const ping = generate({ cmd: 'pingreq' });
    p.parse(ping);
    expect(got.map((x) => x.cmd)).toEqual(['pingreq']);
  });
});

describe('the direct reads', () => {
  type List = InstanceType<typeof BufferList>;
  const Direct = directReads(BufferList) as unknown as new () => List;
  const reads = ['readUInt8', 'readUInt16BE', 'readUInt32BE'] as const;
  /** what a read returns or throws */
  const outcome = (l: List, m: (typeof reads)[number], at: unknown) => {
    try {
      return (l[m] as (o?: unknown) => number)(at);
    } catch (e) {
      return `${(e as Error).name}`;
    }
  };

  it("read what bl's own reads read, within a buffer, across buffers, after consumes, and out of range", () => {
    const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
    let seed = 3;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let compared = 0;
    for (let round = 0; round < 40; round++) {
      const [ours, theirs] = [new Direct(), new BufferList()];
      for (let at = 0; at < bytes.length;) {
        // now and then an empty buffer, first ones included
        const n = random() < 0.1 ? 0 : 1 + Math.floor(random() * 9);
        for (const l of [ours, theirs]) l.append(bytes.subarray(at, at + n));
        at += n;
      }
      for (let eaten = 0; ours.length > 0;) {
        for (let at = -2; at <= ours.length + 1; at++)
          for (const m of reads) {
            expect([eaten, at, m, outcome(ours, m, at)]).toEqual([eaten, at, m, outcome(theirs, m, at)]);
            compared++;
          }
        for (const m of reads)
          // (a fraction is left to bl too, below: across buffers bl reads uninitialized bytes then)
          for (const odd of [undefined, NaN, null, '1'])
            expect([eaten, odd, m, outcome(ours, m, odd)]).toEqual([eaten, odd, m, outcome(theirs, m, odd)]);
        const n = 1 + Math.floor(random() * 5);
        ours.consume(n);
        theirs.consume(n);
        eaten += n;
      }
      for (const m of reads) expect(outcome(ours, m, 0)).toEqual(outcome(theirs, m, 0));
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it("read inside the first buffer without bl's reads, and leave the rest to them", () => {
    const calls: string[] = [];
    const Counting = class extends (BufferList as unknown as new () => object) {};
    for (const m of reads)
      (Counting.prototype as Record<string, unknown>)[m] = function (this: List, at?: number) {
        calls.push(m);
        return (BufferList.prototype[m] as (o?: number) => number).call(this, at);
      };
    const l = new (directReads(Counting) as unknown as new () => List)();
    l.append(Buffer.from([1, 2, 3, 4, 5]));
    l.append(Buffer.from([6, 7, 8, 9]));
    expect([l.readUInt8(), l.readUInt8(4), l.readUInt16BE(3), l.readUInt32BE(1)]).toEqual([
      1, 5, 0x0405, 0x02030405,
    ]);
    expect(calls).toEqual([]);
    // across the two buffers, and in the second one: bl's own
    expect([l.readUInt16BE(4), l.readUInt8(6), l.readUInt32BE(2)]).toEqual([0x0506, 7, 0x03040506]);
    expect(calls).toEqual(['readUInt16BE', 'readUInt8', 'readUInt32BE']);
    // an offset that is not a whole number: bl's own, whatever it makes of it
    calls.length = 0;
    expect(l.readUInt8(0.5)).toBe(new BufferList(Buffer.from([1, 2, 3, 4, 5])).readUInt8(0.5));
    expect(calls).toEqual(['readUInt8']);
  });

  it('are left out for a list without the methods they rely on', () => {
    const Bare = class {};
    expect(directReads(Bare)).toBe(Bare);
  });
});

/**
 * mqtt-packet's parser.js as a later release might be: its source edited by `edit`, loaded as a
 * module of its own (next to the real one, so its requires resolve the same).
 */
function variant(edit: (source: string) => string): ParserModules {
  const file = createRequire(import.meta.url).resolve('mqtt-packet/parser.js');
  const source = fs.readFileSync(file, 'utf8');
  const edited = edit(source);
  // the edit applied (a release of mqtt-packet with other text would make it a no-op)
  if (edit !== same) expect(edited).not.toBe(source);
  const req = createRequire(file);
  const mod = { exports: {} as unknown };
  new Function('require', 'module', 'exports', edited)(req, mod, mod.exports);
  return {
    Parser: mod.exports as ParserClass,
    Packet: req('./packet.js') as new () => unknown,
    BufferList: (req('bl') as { BufferList: new () => unknown }).BufferList,
  };
}
const same = (s: string) => s;
const listOf = (m: ParserModules) =>
  (m.Parser as unknown as { parser(o: object): { _list: object } }).parser({ protocolVersion: 4 })._list
    .constructor.name;

describe('a parser other than the one the patch was written for', () => {
  it('is patched when it is the same source (the check accepts mqtt-packet 9 as loaded apart)', () => {
    const m = variant(same);
    expect(listOf(m)).toBe('BufferListStream');
    expect(usePlainParserBuffers(m)).toBe(true);
    expect(listOf(m)).toBe('DirectReadList');
  });

  const changes: [string, (s: string) => string][] = [
    [
      'a reset more in _resetState',
      (s) => s.replace('this._stateCounter = 0\n', 'this._stateCounter = 0\n    this._extra = null\n'),
    ],
    [
      'a stream method of its list',
      (s) => s.replace('  parse (buf) {\n', '  parse (buf) {\n    if (this._to) this._list.pipe(this._to)\n'),
    ],
    [
      'its list handed to a function',
      (s) => s.replace('  parse (buf) {\n', '  parse (buf) {\n    keep(this._list)\n'),
    ],
    [
      'a method assigned to the prototype that duplicates the list',
      (s) =>
        s.replace(
          'module.exports = Parser',
          'Parser.prototype._peek = function () { return this._list.duplicate() }\nmodule.exports = Parser',
        ),
    ],
  ];
  for (const [what, edit] of changes)
    it(`is left alone: ${what}`, () => {
      const m = variant(edit);
      const reset = m.Parser.prototype._resetState;
      expect(parserAsExpected(m)).toBe(false);
      expect(usePlainParserBuffers(m)).toBe(false);
      expect(m.Parser.prototype._resetState).toBe(reset);
      expect(listOf(m)).toBe('BufferListStream');
    });

  it('is left alone, without throwing, when it is not a parser at all', () => {
    expect(usePlainParserBuffers({ Parser: {} as ParserClass, Packet: class {}, BufferList: class {} })).toBe(
      false,
    );
  });
});
