// The hand check of price.ack messages (uplink-schemas.ts fastAck) against the zod schema it
// stands in for: on valid acks and on hostile ones (mutations of valid ones, wrong types, limits
// one past, JSON oddities), it accepts nothing zod refuses and returns what zod returns.
import { describe, expect, it } from 'vitest';
import { ackSchema, checkAck, fastAck, MalformedUplinkError } from '../../server/tasks/uplink-schemas.js';

const HASH = 'ab'.repeat(32);
const ok = (n: number) => ({ itemId: String(n), labelId: `ESL-${n}`, status: 'ok', contentHash: HASH });
const failed = (n: number, error?: unknown) => ({
  itemId: String(n),
  labelId: `ESL-${n}`,
  status: 'failed',
  ...(error === undefined ? {} : { error }),
});
const ack = (results: unknown[], extra: object = {}) => ({
  v: 1,
  type: 'price.ack',
  msgId: 'm-1',
  results,
  ...extra,
});

// a deterministic generator, so a failure names a case that can be replayed
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  undefined,
  0,
  1,
  -1,
  1.5,
  2,
  true,
  false,
  '',
  ' ',
  '1',
  '01',
  '0',
  '-1',
  '1e3',
  ' 1',
  '1 ',
  '१२३', // Devanagari digits
  '9'.repeat(20),
  '9'.repeat(21),
  'x'.repeat(64),
  'x'.repeat(65),
  'é'.repeat(64),
  '😀'.repeat(32), // 64 UTF-16 units
  '😀'.repeat(33),
  'AB'.repeat(32),
  'ab'.repeat(32) + '\n',
  'ab'.repeat(31) + 'a',
  'ab'.repeat(32) + 'a',
  'e'.repeat(255),
  'e'.repeat(256),
  'ok',
  'failed',
  'OK',
  'price.ack',
  'status',
  [],
  [1],
  {},
  { toString: 'x' },
  { __proto__: null },
];

const KEYS = [
  'v',
  'type',
  'msgId',
  'results',
  'itemId',
  'labelId',
  'status',
  'contentHash',
  'error',
  '__proto__',
];

/** One random change somewhere in a (deep-copied) message. */
function mutate(msg: unknown, r: () => number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return pick(ODD_VALUES);
  const copy = JSON.parse(JSON.stringify(msg)) as Record<string, unknown>;
  const results = (Array.isArray(copy.results) ? copy.results : []) as Record<string, unknown>[];
  const objects = results.filter((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  const target: Record<string, unknown> = r() < 0.3 || !objects.length ? copy : pick(objects);
  const op = r();
  if (op < 0.55) target[pick(KEYS)] = pick(ODD_VALUES);
  else if (op < 0.75) delete target[pick(KEYS)];
  else if (op < 0.85)
    copy.results = pick([[], Array.from({ length: 1001 }, (_, k) => ok(k + 1)), 'x', null, {}]);
  else if (op < 0.92) results.push(pick(ODD_VALUES) as Record<string, unknown>);
  else return pick(ODD_VALUES);
  return copy;
}

function sameAsZod(input: unknown) {
  const fast = fastAck(input);
  const z = ackSchema.safeParse(input);
  if (fast !== null) {
    // accepted by hand: zod accepts it too, and returns the same message
    expect(z.success, JSON.stringify(input)?.slice(0, 300)).toBe(true);
    expect(fast).toStrictEqual(z.data);
  }
  // what the worker uses: the same verdict and message as zod
  if (z.success) expect(checkAck(input)).toStrictEqual(z.data);
  else expect(() => checkAck(input)).toThrow(MalformedUplinkError);
  return fast !== null;
}

describe('price.ack hand check', () => {
  it('accepts the valid acks zod accepts, with the same result (unknown fields stripped)', () => {
    const valid = [
      ack([ok(1)]),
      ack([failed(2)]),
      ack([failed(3, 'no_label')]),
      ack([failed(4, '')]),
      ack([failed(5, 'e'.repeat(255))]),
      ack([ok(6), failed(7, 'x'), ok(8)]),
      ack(Array.from({ length: 1000 }, (_, k) => ok(k + 1))),
      ack([{ ...ok(9), extra: 1, error: 'ignored on ok' }], { extra: { deep: true }, ts: 'x' }),
      ack([{ ...failed(10), contentHash: 'not checked on failed' }]),
      ack([ok(11)], { msgId: 'x'.repeat(64) }),
      ack([ok(12)], { msgId: '😀'.repeat(32) }),
      ack([{ ...ok(13), itemId: '9'.repeat(20) }]),
    ];
    for (const m of valid) {
      expect(sameAsZod(m)).toBe(true);
      // and through JSON, as the worker gets it
      expect(sameAsZod(JSON.parse(JSON.stringify(m)))).toBe(true);
    }
  });

  it('refuses what zod refuses, on thousands of hostile variations of valid acks', () => {
    const r = rng(20261202);
    const seeds = [ack([ok(1)]), ack([failed(2, 'e')]), ack([ok(3), failed(4), ok(5)])];
    let accepted = 0;
    let refused = 0;
    for (let k = 0; k < 20_000; k++) {
      let m: unknown = seeds[k % seeds.length];
      for (let n = 1 + Math.floor(r() * 3); n > 0; n--) m = mutate(m, r);
      if (sameAsZod(m)) accepted++;
      else refused++;
    }
    // the variations cover both sides
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(5000);
  });

  it('refuses each broken rule, with zod telling what is wrong', () => {
    const broken: unknown[] = [
      null,
      [],
      'price.ack',
      ack([ok(1)], { v: 2 }),
      ack([ok(1)], { v: '1' }),
      ack([ok(1)], { type: 'status' }),
      ack([ok(1)], { msgId: '' }),
      ack([ok(1)], { msgId: 'x'.repeat(65) }),
      ack([ok(1)], { msgId: 7 }),
      ack([]),
      ack(Array.from({ length: 1001 }, (_, k) => ok(k + 1))),
      ack([{ ...ok(1), itemId: '01' }]),
      ack([{ ...ok(1), itemId: 1 }]),
      ack([{ ...ok(1), itemId: '1'.repeat(21) }]),
      ack([{ ...ok(1), labelId: '' }]),
      ack([{ ...ok(1), contentHash: 'AB'.repeat(32) }]),
      ack([{ ...ok(1), contentHash: undefined }]),
      ack([{ ...ok(1), status: 'OK' }]),
      ack([failed(1, null)]),
      ack([failed(1, 'e'.repeat(256))]),
      ack([ok(1), null]),
    ];
    for (const m of broken) {
      expect(fastAck(m)).toBeNull();
      expect(ackSchema.safeParse(m).success).toBe(false);
      expect(() => checkAck(m)).toThrow(MalformedUplinkError);
    }
  });
});
