// Per request: the language (the signed-in user's saved choice, else the choice a signed-out
// visitor made in this session, else the browser's Accept-Language, else DEFAULT_LOCALE) and
// the time zone (the user's, else DEFAULT_TIME_ZONE); and the helpers every view and route uses:
// t(), tm() (a service's English message in the reader's language), fmtTime(), fmtMoney().
import type { Request, Response } from 'express';
import { formatMoney, formatTime, isTimeZone } from './format.js';
import { hasKey, isLocale, LOCALES, messageTranslator, translator, type Locale } from './i18n.js';

export interface LocaleDefaults {
  DEFAULT_LOCALE: Locale;
  DEFAULT_TIME_ZONE: string;
}

/** Where the language switcher returns to: this page, or for a form's answer the page the form was on. */
function here(req: Request): string {
  if (req.method === 'GET') return req.originalUrl;
  try {
    const from = new URL(String(req.headers.referer ?? ''));
    if (from.host === req.headers.host) return from.pathname + from.search;
  } catch {
    // no usable Referer
  }
  return '/';
}

export function resolveLocale(req: Request, defaults: LocaleDefaults): Locale {
  const saved = req.user?.locale ?? req.session?.locale;
  if (isLocale(saved)) return saved;
  const header = req.headers['accept-language'];
  if (typeof header === 'string' && header.trim() && header.trim() !== '*') {
    const asked = req.acceptsLanguages(...LOCALES);
    if (isLocale(asked)) return asked;
  }
  return defaults.DEFAULT_LOCALE;
}

/**
 * Sets req.locale, req.t, req.tm and the view helpers; called again once the user is known, then
 * with `headers` (Content-Language, and Vary: the page depends on the browser's Accept-Language).
 */
export function applyLocale(req: Request, res: Response, defaults: LocaleDefaults, headers = false) {
  const locale = resolveLocale(req, defaults);
  const zone = isTimeZone(req.user?.timeZone) ? req.user.timeZone : defaults.DEFAULT_TIME_ZONE;
  req.locale = locale;
  req.timeZone = zone;
  req.t = translator(locale);
  req.tm = messageTranslator(locale);
  Object.assign(res.locals, {
    locale,
    locales: LOCALES,
    timeZone: zone,
    t: req.t,
    tm: req.tm,
    hasKey: (key: string) => hasKey(locale, key),
    fmtTime: (d: Date | string | null | undefined, z?: string) =>
      formatTime(locale, d, isTimeZone(z) ? z : zone),
    fmtMoney: (amount: string | number | null | undefined, currency?: string) =>
      formatMoney(locale, amount, currency),
  });
  if (headers) {
    res.setHeader('Content-Language', locale);
    res.vary('Accept-Language');
    res.locals.here = here(req);
  }
}
