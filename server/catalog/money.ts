// Prices are decimal strings end to end: validated by pattern, stored as DECIMAL(12,2),
// never passed through a float. The cap is far above any shelf price and below the column's limit.
import { DateTime } from 'luxon';
import { z } from 'zod';

/** 0 to 99,999,999.99 with at most two decimals; no sign, no exponent, no spaces inside. */
export const PRICE_RE = /^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$/;

export const priceString = z
  .string()
  .trim()
  .regex(PRICE_RE, 'a price like 3.50: digits, at most 2 decimals, not negative, below 100000000');

/** Why a price string is refused, in words an operator understands; null when it is fine. */
export function priceProblem(raw: string): string | null {
  const s = raw.trim();
  if (s === '') return 'price is missing';
  if (PRICE_RE.test(s)) return null;
  if (s.startsWith('-')) return `"${s}" is negative`;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(s)) return `"${s}" is not a number (write it like 3.50)`;
  if (/\.[0-9]{3,}$/.test(s)) return `"${s}" has more than 2 decimals`;
  if (/^0[0-9]/.test(s)) return `"${s}" has a leading zero (write it like 3.50)`;
  return `"${s}" is too large (at most 99999999.99)`;
}

/** Canonical form for comparison and display: always two decimals ("3.5" -> "3.50"). */
export function normPrice(s: string): string {
  const [i, f = ''] = s.trim().split('.');
  return `${String(BigInt(i))}.${(f + '00').slice(0, 2)}`;
}

/** ISO-8601 instant with an explicit zone (API), or `YYYY-MM-DDTHH:mm[:ss]` read as UTC (browser forms). */
/**
 * A date-time as typed: ISO 8601 with `Z` or an offset is that instant; without one it is a wall
 * time in `zone` (the store's), else UTC. A wall time the zone skips (clocks going forward) is
 * refused; one it has twice (clocks going back) is the later of the two.
 */
export function parseInstant(raw: string, zone?: string): Date | null {
  const s = raw.trim();
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
  if (!iso.test(s)) return null;
  // Date would roll 2026-02-30 over into March; refuse days the month does not have.
  const [y, mo, da] = s.slice(0, 10).split('-').map(Number);
  if (mo < 1 || mo > 12 || da < 1 || da > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  if (/(Z|[+-]\d{2}:\d{2})$/.test(s) || !zone) {
    const d = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const wall = s.length === 16 ? `${s}:00` : s.slice(0, 19);
  const d = DateTime.fromISO(wall, { zone });
  if (!d.isValid) return null;
  // In a spring-forward gap the wall time does not exist: luxon moves it on, so it does not come back unchanged.
  return d.toFormat("yyyy-MM-dd'T'HH:mm:ss") === wall ? d.toJSDate() : null;
}
