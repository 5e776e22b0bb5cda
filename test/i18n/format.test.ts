// The formatting helpers and the catalogues themselves: same keys in both languages,
// service messages translated (with their varying part), times and money by Intl.
import { describe, expect, it } from 'vitest';
import { formatMoney, formatTime, isTimeZone } from '../../server/i18n/format.js';
import { messageTranslator, readCatalogue, translator } from '../../server/i18n/i18n.js';

const keys = (o: Record<string, unknown>, pre = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [pre + k] : keys(v as Record<string, unknown>, `${pre}${k}.`),
  );

describe('catalogues', () => {
  it('have the same ui keys in both languages, and every msg entry has a translation', () => {
    const zh = readCatalogue('zh-CN');
    const en = readCatalogue('en');
    expect(keys(zh.ui).sort()).toEqual(keys(en.ui).sort());
    for (const [k, v] of Object.entries(zh.msg)) {
      expect(v, k).toMatch(/[\u4e00-\u9fff]/);
      // The placeholders of a message survive its translation.
      expect([...v.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort(), k).toEqual(
        [...k.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort(),
      );
    }
  });

  it('translate keys with values, and service messages exactly or by pattern', () => {
    expect(translator('zh-CN')('layout.timeZone', { zone: 'Asia/Shanghai' })).toBe(
      '时间按 Asia/Shanghai 时区显示',
    );
    expect(translator('en')('nav.users')).toBe('Users');
    const zh = messageTranslator('zh-CN');
    expect(zh('Please correct the highlighted fields.')).toBe('请更正标出的字段。');
    expect(zh('Group ID GID_x.y is in use by a store.')).toBe('Group ID GID_x.y 正被门店使用。');
    expect(zh('"1.234" has more than 2 decimals')).toBe('“1.234” 超过 2 位小数');
    expect(zh('A message nobody translated.')).toBe('A message nobody translated.');
    // zod's own messages (schemas without a message of their own).
    expect(zh('Too small: expected number to be >=60')).toBe('过小：须不小于 60');
    expect(zh('This page is for auditor or admin accounts.')).toBe('此页面仅供审计员或管理员账户使用。');
    expect(messageTranslator('en')('Please correct the highlighted fields.')).toBe(
      'Please correct the highlighted fields.',
    );
    // Not HTML-escaped here: EJS escapes what it prints.
    expect(translator('en')('import.previewHeading', { file: '<b>.csv' })).toBe('Import <b>.csv');
  });
});

describe('formatTime', () => {
  const t = new Date('2026-03-08T06:59:59.987Z'); // 01:59:59 EST; a second later New York moves to EDT
  it('writes the time in the zone, to the second, with the zone shown', () => {
    expect(formatTime('zh-CN', t, 'Asia/Shanghai')).toBe('2026/03/08 14:59:59 GMT+8');
    expect(formatTime('en', t, 'Asia/Shanghai')).toBe('Mar 08, 2026, 14:59:59 GMT+8');
    expect(formatTime('en', t, 'America/New_York')).toBe('Mar 08, 2026, 01:59:59 EST');
    expect(formatTime('en', new Date(t.getTime() + 1013), 'America/New_York')).toBe(
      'Mar 08, 2026, 03:00:01 EDT',
    );
    expect(formatTime('en', '2026-03-08T06:59:59.987Z', 'UTC')).toBe('Mar 08, 2026, 06:59:59 UTC');
    expect(formatTime('en', null, 'UTC')).toBe('');
    expect(formatTime('en', 'not a date', 'UTC')).toBe('not a date');
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and refuses others, and answers the same when asked again', () => {
    for (let round = 0; round < 2; round++) {
      expect(isTimeZone('Asia/Shanghai')).toBe(true);
      expect(isTimeZone('Europe/Berlin')).toBe(true);
      expect(isTimeZone('Mars/Olympus')).toBe(false);
      expect(isTimeZone('')).toBe(false);
      expect(isTimeZone(42)).toBe(false);
    }
  });
});

describe('formatMoney', () => {
  it('formats the decimal string exactly: ¥ in Chinese, the code in English', () => {
    expect(formatMoney('zh-CN', '12.50')).toBe('¥12.50');
    expect(formatMoney('en', '12.5')).toBe('CNY\u00a012.50');
    expect(formatMoney('zh-CN', '99999999.99')).toBe('¥99,999,999.99');
    // No float round trip: 0.1 + 0.2 style errors cannot appear, large values keep their cents.
    expect(formatMoney('en', '12345678901234.05')).toBe('CNY\u00a012,345,678,901,234.05');
    expect(formatMoney('en', '3.5', 'USD')).toBe('USD\u00a03.50');
    expect(formatMoney('en', null)).toBe('');
    expect(formatMoney('en', 'abc')).toBe('abc');
  });
});
