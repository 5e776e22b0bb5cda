// The small pure pieces the pages and the shipper rely on: CSV cells, filter parsing,
// and a record's round trip through its SLS form (which must keep its hash valid).
import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH, type AuditRecord } from '../../server/audit/audit-chain.js';
import { csvCell } from '../../server/audit/audit-csv.js';
import { filterToQuery, parseFilter } from '../../server/audit/audit-filter.js';
import { logToRecord, recordToLog } from '../../server/audit/sls-records.js';

describe('CSV cells', () => {
  it('neutralises what a spreadsheet would run, and quotes what CSV needs quoted', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+49 30')).toBe("'+49 30");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('  =cmd')).toBe("'  =cmd");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell(null)).toBe('');
    expect(csvCell('price.changed')).toBe('price.changed');
  });
});

describe('audit filter', () => {
  const now = new Date('2026-05-01T12:00:00.500Z');
  it('reads times as UTC whole seconds and bounds an open range the same way for both stores', () => {
    const f = parseFilter({ from: '2026-04-30T08:00', sku: ' 690 123 ', q: 'battery' }, now);
    expect(f.from.toISOString()).toBe('2026-04-30T08:00:00.000Z');
    expect(f.to.toISOString()).toBe('2026-05-02T12:00:00.000Z');
    expect(f.objects).toEqual({ sku: '690_123' });
    expect(f.text).toBe('battery');
  });
  it("reads a form's wall time in the reader's zone, and keeps an explicit offset", () => {
    const f = parseFilter(
      { from: '2026-04-30T08:00', to: '2026-04-30T09:00:00+02:00' },
      now,
      'Asia/Shanghai',
    );
    expect(f.from.toISOString()).toBe('2026-04-30T00:00:00.000Z');
    expect(f.to.toISOString()).toBe('2026-04-30T07:00:00.000Z');
    expect(filterToQuery(f, { from: true, to: true }, 'Asia/Shanghai')).toMatchObject({
      from: '2026-04-30T08:00:00',
      to: '2026-04-30T15:00:00',
    });
  });
  it('names each bad field', () => {
    expect(() => parseFilter({ from: 'soon', actor: 'a\u0001b' }, now)).toThrow(
      expect.objectContaining({
        fields: { from: 'a date and time like 2026-05-01T08:00 (UTC)', actor: 'no control characters' },
      }),
    );
  });
});

describe('SLS form of a record', () => {
  it('round-trips every field, nulls included, so the hash still checks out', () => {
    const base = {
      id: '42',
      ts: '2026-05-01T12:00:00.123Z',
      actor: 'alice',
      actorRole: 'operator',
      action: 'price.changed',
      objectType: 'task',
      objectId: '12',
      refs: ' sku:1 ',
      summary: '',
      before: null,
      after: 'null',
      requestId: null,
      ip: '',
    };
    const rec: AuditRecord = { ...base, prevHash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, base) };
    const log = recordToLog(rec);
    expect(log.timestamp).toBe(Math.floor(Date.parse(rec.ts) / 1000));
    const back = logToRecord({ ...log.content, __time__: '1', __source__: 'x' });
    expect(back).toEqual(rec);
    expect(chainHash(back.prevHash, back)).toBe(rec.hash);
    expect(() => logToRecord({ id: 'x' })).toThrow(/not an audit record/);
  });
});
