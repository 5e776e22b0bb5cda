// Times and money as a reader of the locale writes them. Times: to the second, in a given IANA
// zone, with the zone shown. Money: the amount stays a decimal string (Intl formats strings
// exactly, without a float round trip); zh-CN shows ¥12.50, English CNY 12.50.
import type { Locale } from './i18n.js';

const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(locale: Locale, zone: string): Intl.DateTimeFormat {
  const k = `${locale}|${zone}`;
  let f = timeFormats.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: locale === 'en' ? 'short' : '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZone: zone,
      timeZoneName: 'short',
    });
    if (timeFormats.size > 500) timeFormats.clear();
    timeFormats.set(k, f);
  }
  return f;
}

// Formatted times by locale, zone and second (the format shows seconds, no fraction): rows
// confirmed by one ack batch share their second, and formatToParts is the costly part.
const formattedTimes = new Map<string, string>();

/** A date (or ISO string) in the zone, e.g. 2026/12/01 17:49:00 GMT+8 or Dec 01, 2026, 17:49:00 GMT+8; '' for none, the input for garbage. */
export function formatTime(locale: Locale, date: Date | string | null | undefined, zone: string): string {
  if (date === null || date === undefined || date === '') return '';
  const d = date instanceof Date ? date : new Date(date);
  const ms = d.getTime();
  if (Number.isNaN(ms)) return String(date);
  const k = `${locale}|${zone}|${Math.floor(ms / 1000)}`;
  let text = formattedTimes.get(k);
  if (text === undefined) {
    text = formatTimeNow(locale, d, zone);
    if (formattedTimes.size >= 20_000) formattedTimes.clear();
    formattedTimes.set(k, text);
  }
  return text;
}

function formatTimeNow(locale: Locale, d: Date, zone: string): string {
  // The zone goes last (zh-CN's own pattern puts it between date and time).
  const parts = timeFormat(locale, zone).formatToParts(d);
  const at = parts.findIndex((x) => x.type === 'timeZoneName');
  const name = parts[at]?.value ?? zone;
  const rest = parts.filter((_x, i) => i !== at && !(i === at - 1 && parts[i].type === 'literal'));
  return `${rest
    .map((x) => x.value)
    .join('')
    .trim()} ${name}`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** A decimal string (or number) as money; '' for none, the input when it is not a number. */
export function formatMoney(
  locale: Locale,
  amount: string | number | null | undefined,
  currency = 'CNY',
): string {
  if (amount === null || amount === undefined || amount === '') return '';
  const s = String(amount).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) return String(amount);
  const k = `${locale}|${currency}`;
  let f = moneyFormats.get(k);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      currencyDisplay: locale === 'zh-CN' ? 'narrowSymbol' : 'code',
    });
    moneyFormats.set(k, f);
  }
  // Intl accepts decimal strings (exact); the cast is for lib typings that only list number.
  return f.format(s as unknown as number);
}

const zoneKnown = new Map<string, boolean>();

/**
 * Whether the runtime knows the IANA zone. Remembered per zone: it is asked for every time a page
 * or live event writes (building an Intl.DateTimeFormat to find out was a tenth of a busy web
 * process's CPU in `npm run bench:live`).
 */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || !zone) return false;
  let known = zoneKnown.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    if (zoneKnown.size > 1000) zoneKnown.clear();
    zoneKnown.set(zone, known);
  }
  return known;
}
