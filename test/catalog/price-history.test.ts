// The shelf price over time and the Omnibus lowest price of the 30 days before a promotion,
// computed from price states alone.
import { describe, expect, it } from 'vitest';
import { lowestBefore, priceSteps, type HistoryState } from '../../server/catalog/price-history.js';

const d = (s: string) => new Date(s);
const st = (
  validFrom: string,
  price: string,
  promo?: [string, string | null, string | null],
): HistoryState => ({
  validFrom: d(validFrom),
  price,
  promoPrice: promo ? promo[0] : null,
  promoFrom: promo?.[1] ? d(promo[1]) : null,
  promoTo: promo?.[2] ? d(promo[2]) : null,
});
const START = d('2026-03-31T00:00:00Z'); // the promotion starts; the window is [03-01, 03-31)

describe('lowestBefore (30 days before a promotion starts)', () => {
  it('counts a price that began before the window for the part inside it', () => {
    const h = [st('2026-01-01T00:00:00Z', '4.00'), st('2026-03-10T00:00:00Z', '5.00')];
    expect(lowestBefore(h, START)).toBe('4.00');
  });

  it('ignores a price that ended before the window began', () => {
    const h = [st('2026-01-01T00:00:00Z', '2.00'), st('2026-02-28T23:59:59Z', '5.00')];
    expect(lowestBefore(h, START)).toBe('5.00');
  });

  it('a price ending exactly at the window start does not count; one ending a millisecond into it does', () => {
    const ws = '2026-03-01T00:00:00.000Z';
    expect(lowestBefore([st('2026-01-01T00:00:00Z', '2.00'), st(ws, '5.00')], START)).toBe('5.00');
    expect(
      lowestBefore([st('2026-01-01T00:00:00Z', '2.00'), st('2026-03-01T00:00:00.001Z', '5.00')], START),
    ).toBe('2.00');
  });

  it('an earlier promotion inside the window counts; one that ended before it does not', () => {
    const h = [
      st('2026-01-01T00:00:00Z', '5.00', ['1.50', '2026-01-10T00:00:00Z', '2026-02-01T00:00:00Z']),
      st('2026-03-05T00:00:00Z', '5.00', ['3.90', '2026-03-05T00:00:00Z', '2026-03-12T00:00:00Z']),
    ];
    expect(lowestBefore(h, START)).toBe('3.90');
    expect(lowestBefore(h.slice(0, 1), START)).toBe('5.00');
  });

  it('the promotion itself, filed in advance, does not lower its own reference price', () => {
    const h = [st('2026-03-20T00:00:00Z', '5.00', ['2.99', START.toISOString(), '2026-04-10T00:00:00Z'])];
    expect(lowestBefore(h, START)).toBe('5.00');
  });

  it('a promotion with no prior history has no reference price', () => {
    expect(lowestBefore([], START)).toBeNull();
    expect(
      lowestBefore([st(START.toISOString(), '5.00', ['2.99', null, '2026-04-10T00:00:00Z'])], START),
    ).toBeNull();
  });

  it('compares prices as decimals, not as text', () => {
    const h = [st('2026-03-02T00:00:00Z', '10.00'), st('2026-03-03T00:00:00Z', '9.50')];
    expect(lowestBefore(h, START)).toBe('9.50');
  });
});

describe('priceSteps', () => {
  it('splits a state at its promotion edges and joins equal neighbours', () => {
    const h = [
      st('2026-03-01T00:00:00Z', '5.00', ['3.00', '2026-03-02T00:00:00Z', '2026-03-04T00:00:00Z']),
      st('2026-03-06T00:00:00Z', '5.00'),
    ];
    expect(
      priceSteps(h, null, null).map((s) => [
        s.from.toISOString().slice(5, 10),
        s.to?.toISOString().slice(5, 10) ?? null,
        s.price,
        s.promo,
      ]),
    ).toEqual([
      ['03-01', '03-02', '5.00', false],
      ['03-02', '03-04', '3.00', true],
      ['03-04', null, '5.00', false],
    ]);
  });
});
