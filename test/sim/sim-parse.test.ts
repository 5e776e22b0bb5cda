// The simulated APs of one process share the parsing of a payload (sim/sim-ap.ts): the same text
// gives the same object, another text its own, and bad JSON still throws for the AP to drop it.
import { describe, expect, it } from 'vitest';
import { parseShared } from '../../sim/sim-ap.js';

describe('parseShared', () => {
  it('parses a text once for every AP that receives it, and each distinct text on its own', () => {
    const text = JSON.stringify({ v: 1, type: 'price.update', msgId: 'm-1', items: [{ labelId: 'L1' }] });
    const a = parseShared(Buffer.from(text));
    // a second AP's copy of the same message (another Buffer, the same bytes)
    expect(parseShared(Buffer.from(text))).toBe(a);
    expect(a).toEqual(JSON.parse(text));
    const other = parseShared(Buffer.from(text.replace('m-1', 'm-2'))) as { msgId: string };
    expect(other).not.toBe(a);
    expect(other.msgId).toBe('m-2');
    expect(() => parseShared(Buffer.from('{not json'))).toThrow(SyntaxError);
  });

  it('keeps a bounded number of texts: an old one is parsed again after many others', () => {
    const first = JSON.stringify({ n: -1 });
    const a = parseShared(Buffer.from(first));
    for (let n = 0; n < 300; n++) parseShared(Buffer.from(JSON.stringify({ n })));
    const again = parseShared(Buffer.from(first));
    expect(again).not.toBe(a);
    expect(again).toEqual(a);
  });
});
