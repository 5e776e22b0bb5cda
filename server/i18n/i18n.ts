// The UI's languages: one i18next instance over the JSON catalogues in ./locales/<locale>/, loaded once
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

type Catalogue = { ui: Record<string, unknown>; msg: Record<string, string> };

// Each locale is a folder of JSON files (`core.json` plus one per feature area), deep-merged in
// name order; a key defined by two files is refused at start-up rather than silently shadowed.
function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(src)) {
    const here = `${where}.${k}`;
    const cur = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if (cur === undefined) target[k] = {};
      else if (typeof cur !== 'object') throw new Error(`i18n: ${here} is both a string and a group`);
      mergeInto(target[k] as Record<string, unknown>, v as Record<string, unknown>, here);
    } else {
      if (cur !== undefined) throw new Error(`i18n: ${here} is defined twice`);
      target[k] = v;
    }
  }
}

export function readCatalogue(locale: Locale): Catalogue {
  const dir = path.join(LOCALES_DIR, locale);
  const merged: Catalogue = { ui: {}, msg: {} };
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    mergeInto(merged, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), `${locale}/${file}`);
  }
  return merged;
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

/** Whether a `ui` key exists (in the locale or the English fallback). */
export function hasKey(locale: Locale, key: string): boolean {
  return load().exists(key, { lng: locale, ns: 'ui' });
}

/** Keys asked for but absent from a catalogue since start (for tests and logs). */
export const missingKeys = () => [...missing];

const translators = new Map<Locale, TFn>();
const PLAIN_CACHE_MAX = 20_000;

/**
 * The reader's translator, one per locale. A key asked for without values always gives the same
 * text (the catalogues are loaded once), so that text is remembered: a task page's rows ask for
 * the same few state names hundreds of times, and i18next's lookup was a sixth of a busy web
 * process's CPU in `npm run bench:live`. Keys with values are interpolated each time.
 */
export function translator(locale: Locale): TFn {
  let fn = translators.get(locale);
  if (!fn) {
    const t = load().getFixedT(locale, 'ui');
    const plain = new Map<string, string>();
    fn = (key, values) => {
      if (values !== undefined) return t(key, values) as string;
      let v = plain.get(key);
      if (v === undefined) {
        v = t(key, {}) as string;
        // bounded: a caller passing arbitrary strings as keys never grows it without end
        if (plain.size < PLAIN_CACHE_MAX) plain.set(key, v);
      }
      return v;
    };
    translators.set(locale, fn);
  }
  return fn;
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
  const translate = (text: string | null | undefined): string => {
    if (!text) return '';
    if (load().exists(text, { ...opts, lng: locale, ns: 'msg' })) return t(text, opts) as string;
    for (const p of patternsOf(locale)) {
      const m = p.re.exec(text);
      if (!m) continue;
      // A captured part that the catalogue knows (a role name, a nested message) is translated too.
      const value = (v: string) => (v.length < text.length ? translate(v) : v);
      return t(p.key, {
        ...opts,
        ...Object.fromEntries(p.names.map((n, i) => [n, value(m[i + 1])])),
      }) as string;
    }
    return text;
  };
  return translate;
}
