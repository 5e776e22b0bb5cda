// The UI catalogues as the language tests read them: every key with its text per language, the
// English phrases a Chinese page must not show, and a page's visible text.
import { readCatalogue } from '../../server/i18n/i18n.js';

const flat = (o: Record<string, unknown>, pre = ''): [string, string][] =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string'
      ? [[pre + k, v] as [string, string]]
      : flat(v as Record<string, unknown>, `${pre}${k}.`),
  );

/** key -> text, per language */
export const ui = {
  en: new Map(flat(readCatalogue('en').ui)),
  'zh-CN': new Map(flat(readCatalogue('zh-CN').ui)),
};

/** English phrases (two words or more) that the Chinese catalogue translates differently. */
export const englishPhrases = [...ui.en]
  .filter(([k, v]) => ui['zh-CN'].get(k) !== v && /[a-z]{3,} [a-z]{2,}/i.test(v.replace(/\{\{\w+\}\}/g, '')))
  .map(([, v]) => v.split(/\{\{\w+\}\}/)[0].trim())
  .filter((v) => v.length >= 8 && v.includes(' '));

/** A page's visible text: no header switcher, scripts, code, options or typed-in text areas. */
export function visibleText(html: string) {
  return html
    .replace(/^[\s\S]*?<body>/, '')
    .replace(/<form[^>]*data-testid="lang-switch"[\s\S]*?<\/form>/, '')
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<(code|pre|option|textarea)[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/g, ' ')
    .replace(/\s+/g, ' ');
}

/** Every zh-CN catalogue text in one string: the English the translation keeps on purpose (Group ID, ...). */
const zhTexts = [...ui['zh-CN'].values()].join('\n');

/**
 * Runs of two or more English words, within one text node of a page, that the Chinese catalogue
 * does not itself contain: a string written into a view or a service without going through the
 * catalogue. (Data on the crawled pages is codes and numbers, so it does not match.)
 */
export function untranslatedEnglish(html: string): string[] {
  const nodes = html
    .replace(/^[\s\S]*?<body>/, '')
    .replace(/<form[^>]*data-testid="lang-switch"[\s\S]*?<\/form>/, '')
    .replace(/<(script|code|pre|option|textarea)[^>]*>[\s\S]*?<\/\1>/g, '<x>')
    // a part marked as English (an audit record's own wording, kept as evidence)
    .replace(/<(span|p|div)[^>]*\slang="en"[^>]*>[^<]*<\/\1>/g, '<x>')
    .split(/<[^>]+>/)
    .map((n) => n.replace(/&[a-z#0-9]+;/g, ' ').replace(/\s+/g, ' '));
  const runs = nodes.flatMap((n) => n.match(/\b[A-Za-z][a-z]+(?:[ ,:()'/]+[A-Za-z][a-z]+)+\b/g) ?? []);
  return [...new Set(runs)].filter((r) => !zhTexts.includes(r) && !/^[A-Z][a-z]+\/[A-Z]/.test(r)); // not a zone name
}
