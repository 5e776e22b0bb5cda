// The UI's languages: one i18next instance over the JSON catalogues in ./locales, loaded once
// at start-up. `ui` holds the pages' strings by key; `msg` translates the English messages the
// services throw (validation, conflicts), keyed by their English text, which is the fallback.
import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n } from 'i18next';
import { PROJECT_ROOT } from '../config.js';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && LOCALES.includes(v as Locale);

/** A key and its interpolation values; missing keys come back as the key itself. */
export type TFn = (key: string, values?: Record<string, unknown>) => string;

export const LOCALES_DIR = path.join(PROJECT_ROOT, 'server', 'i18n', 'locales');

export function readCatalogue(locale: Locale): { ui: Record<string, unknown>; msg: Record<string, string> } {
  return JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, `${locale}.json`), 'utf8'));
}

let instance: i18n | null = null;
const missing = new Set<string>();

function load(): i18n {
  if (instance) return instance;
  const inst = i18next.createInstance();
  void inst.init({
    resources: Object.fromEntries(LOCALES.map((l) => [l, readCatalogue(l)])),
    ns: ['ui', 'msg'],
    defaultNS: 'ui',
    // A key missing in Chinese shows the English text rather than the key (test/i18n checks both
    // catalogues have the same keys).
    fallbackLng: 'en',
    supportedLngs: [...LOCALES],
    // EJS escapes what it prints (<%= %>); escaping here too would show &amp; on the page.
    interpolation: { escapeValue: false },
    returnNull: false,
    saveMissing: true,
    missingKeyHandler: (lngs, ns, key) => {
      missing.add(`${lngs.join(',')}:${ns}:${key}`);
    },
    initAsync: false,
  });
  instance = inst;
  return inst;
}

/** Keys asked for but absent from a catalogue since start (for tests and logs). */
export const missingKeys = () => [...missing];

export function translator(locale: Locale): TFn {
  const t = load().getFixedT(locale, 'ui');
  return (key, values) => t(key, values ?? {}) as string;
}

/** Translates a service's English message; unknown messages stay as they are. */
// A `msg` key with {{placeholders}} matches a message with anything in their place, e.g.
// "Group ID {{id}} is in use by a store." translates "Group ID GID_a is in use by a store.".
const patterns = new Map<Locale, { re: RegExp; key: string; names: string[] }[]>();

function patternsOf(locale: Locale) {
  let list = patterns.get(locale);
  if (!list) {
    list = Object.keys(readCatalogue(locale).msg)
      .filter((k) => k.includes('{{'))
      .map((key) => {
        const names: string[] = [];
        const src = key
          .split(/(\{\{\w+\}\})/)
          .map((part) => {
            const m = /^\{\{(\w+)\}\}$/.exec(part);
            if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(m[1]);
            return '(.+?)';
          })
          .join('');
        return { re: new RegExp(`^${src}$`, 's'), key, names };
      });
    patterns.set(locale, list);
  }
  return list;
}

export function messageTranslator(locale: Locale): (text: string | null | undefined) => string {
  const t = load().getFixedT(locale, 'msg');
  const opts = { keySeparator: false, nsSeparator: false } as const;
  return (text) => {
    if (!text) return '';
    if (load().exists(text, { ...opts, lng: locale, ns: 'msg' })) return t(text, opts) as string;
    for (const p of patternsOf(locale)) {
      const m = p.re.exec(text);
      if (!m) continue;
      // A captured part that the catalogue knows (a role name) is translated too.
      const value = (v: string) =>
        load().exists(v, { ...opts, lng: locale, ns: 'msg' }) ? (t(v, opts) as string) : v;
      return t(p.key, {
        ...opts,
        ...Object.fromEntries(p.names.map((n, i) => [n, value(m[i + 1])])),
      }) as string;
    }
    return text;
  };
}
