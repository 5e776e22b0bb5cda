// Quiet-hours arithmetic in a store's own zone: windows crossing midnight, their end, and
// daylight-saving days (Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00).
import { describe, expect, it } from 'vitest';
import { parseClock, quietGate, quietHoldUntil, quietState } from '../../server/tasks/quiet-hours.js';

const w = (from: string, to: string, zone: string) => ({
  from: parseClock(from)!,
  to: parseClock(to)!,
  zone,
});
const night = (zone: string) => w('22:00', '07:00', zone);

describe('quietState', () => {
  it('a window crossing midnight: inside before and after midnight, ending the next morning', () => {
    // 23:30 and 03:00 in Shanghai (UTC+8)
    expect(quietState(night('Asia/Shanghai'), new Date('2026-06-01T15:30:00Z'))).toEqual({
      quiet: true,
      until: new Date('2026-06-01T23:00:00Z'),
    });
    expect(quietState(night('Asia/Shanghai'), new Date('2026-06-01T19:00:00Z'))).toEqual({
      quiet: true,
      until: new Date('2026-06-01T23:00:00Z'),
    });
  });

  it('outside the window: when it next begins; its edges are [from, to)', () => {
    expect(quietState(night('Asia/Shanghai'), new Date('2026-06-01T04:00:00Z'))).toEqual({
      quiet: false,
      next: new Date('2026-06-01T14:00:00Z'),
    });
    expect(quietState(night('Asia/Shanghai'), new Date('2026-06-01T14:00:00Z')).quiet).toBe(true);
    expect(quietState(night('Asia/Shanghai'), new Date('2026-06-01T23:00:00Z')).quiet).toBe(false);
  });

  it('a window within one day', () => {
    const lunch = w('12:00', '13:30', 'UTC');
    expect(quietState(lunch, new Date('2026-06-01T12:10:00Z'))).toEqual({
      quiet: true,
      until: new Date('2026-06-01T13:30:00Z'),
    });
    expect(quietState(lunch, new Date('2026-06-01T13:30:00Z'))).toEqual({
      quiet: false,
      next: new Date('2026-06-02T12:00:00Z'),
    });
  });

  it('spring forward: the night is an hour shorter in UTC, the end stays 07:00 local', () => {
    // 2026-03-28 23:00 CET = 22:00Z; the window ends 2026-03-29 07:00 CEST = 05:00Z (8 h, not 9)
    expect(quietState(night('Europe/Berlin'), new Date('2026-03-28T22:00:00Z'))).toEqual({
      quiet: true,
      until: new Date('2026-03-29T05:00:00Z'),
    });
  });

  it('fall back: the night is an hour longer in UTC, the end stays 07:00 local', () => {
    // 2026-10-24 23:00 CEST = 21:00Z; ends 2026-10-25 07:00 CET = 06:00Z
    expect(quietState(night('Europe/Berlin'), new Date('2026-10-24T21:00:00Z'))).toEqual({
      quiet: true,
      until: new Date('2026-10-25T06:00:00Z'),
    });
  });

  it('an unknown zone is an error, not a silent UTC', () => {
    expect(() => quietState(night('Mars/Olympus'), new Date())).toThrow(/Mars\/Olympus/);
  });
});

describe('quietGate and quietHoldUntil', () => {
  it('no window: everything goes', () => {
    expect(quietGate(null, new Date())).toEqual({ urgentOnly: false });
    expect(quietHoldUntil(null, new Date(), 1800)).toBeNull();
  });

  it('inside: urgent only until the end; a window starting before the deadline holds items too', () => {
    const z = night('UTC');
    expect(quietGate(z, new Date('2026-06-01T23:00:00Z'))).toEqual({
      urgentOnly: true,
      until: new Date('2026-06-02T07:00:00Z'),
    });
    expect(quietHoldUntil(z, new Date('2026-06-01T21:50:00Z'), 1800)).toEqual(
      new Date('2026-06-02T07:00:00Z'),
    );
    expect(quietHoldUntil(z, new Date('2026-06-01T21:00:00Z'), 1800)).toBeNull();
  });
});
