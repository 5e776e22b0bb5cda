// The price and time rules on their own: what every form, API entry and CSV row goes through.
import { describe, expect, it } from 'vitest';
import { normPrice, parseInstant, priceProblem, PRICE_RE } from '../../server/catalog/money.js';

describe('price strings', () => {
  it.each(['0', '0.5', '3.50', '12', '99999999.99', ' 7.10 '])('accepts %j', (s) => {
    expect(priceProblem(s)).toBeNull();
  });

  it.each([
    ['-1', 'negative'],
    ['-0.01', 'negative'],
    ['abc', 'not a number'],
    ['NaN', 'not a number'],
    ['Infinity', 'not a number'],
    ['1e3', 'not a number'],
    ['0x10', 'not a number'],
    ['1,50', 'not a number'],
    ['.5', 'not a number'],
    ['3.', 'not a number'],
    ['1.005', 'more than 2 decimals'],
    ['100000000', 'too large'],
    ['03.50', 'leading zero'],
    ['', 'missing'],
    ['1 000', 'not a number'],
  ])('refuses %j (%s)', (s, why) => {
    expect(priceProblem(s)).toContain(why);
    expect(PRICE_RE.test(s.trim())).toBe(false);
  });

  it('normalises to two decimals without going through a float', () => {
    expect(normPrice('3.5')).toBe('3.50');
    expect(normPrice('12')).toBe('12.00');
    expect(normPrice('0.07')).toBe('0.07');
    expect(normPrice('99999999.99')).toBe('99999999.99');
    expect(normPrice('0.1')).toBe('0.10');
  });
});

describe('times', () => {
  it('reads ISO-8601 with a zone, and form times without one as UTC', () => {
    expect(parseInstant('2026-11-26T08:00:00Z')!.toISOString()).toBe('2026-11-26T08:00:00.000Z');
    expect(parseInstant('2026-11-26T16:00:00+08:00')!.toISOString()).toBe('2026-11-26T08:00:00.000Z');
    expect(parseInstant('2026-11-26T08:00')!.toISOString()).toBe('2026-11-26T08:00:00.000Z');
  });

  it.each([
    'tomorrow',
    '2026-13-01T00:00:00Z',
    '2026-02-30T08:00:00Z',
    '2026-11-26T25:00:00Z',
    '2026-11-26',
    '1700000000',
    '2026-11-26T08:00:00Z junk',
  ])('refuses %j', (s) => {
    expect(parseInstant(s)).toBeNull();
  });
});
