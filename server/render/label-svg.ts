// Template + model + field values -> one page of the label as SVG, text as outlines
// (font.ts), barcodes from bwip-js (barcode.ts). Everything that cannot be drawn is
// collected and thrown together, each problem named by its element and field.
import { ValidationError } from '../core/errors.js';
import {
  describeChar,
  glyphOutline,
  layoutLine,
  measure,
  metrics,
  missingGlyphs,
  type FontWeight,
} from './font.js';
import { barcodeSvg, BarcodeError, pickSymbology, qrSvg } from './barcode.js';
import { PALETTE, type LabelModel } from './label-model.js';
import type { FieldValues } from './label-content.js';
import type { FieldName, TemplateBody, TemplateElement } from './template-schema.js';

type TextEl = Extract<TemplateElement, { type: 'text' }>;
const LINE = 1.15;
const isCjk = (ch: string) => /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u.test(ch);

/** Break opportunities: around each CJK character and at spaces. */
function tokens(s: string): string[] {
  const out: string[] = [];
  let word = '';
  for (const ch of s) {
    if (isCjk(ch) || ch === ' ') {
      if (word) out.push(word);
      out.push(ch);
      word = '';
    } else word += ch;
  }
  if (word) out.push(word);
  return out;
}

function wrap(s: string, size: number, weight: FontWeight, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const t of tokens(s)) {
    const next = cur + t;
    if (cur && measure(next.trimEnd(), size, weight) > width) {
      lines.push(cur.trimEnd());
      cur = t === ' ' ? '' : t;
    } else cur = next;
  }
  if (cur.trim()) lines.push(cur.trimEnd());
  return lines;
}

function ellipsize(s: string, size: number, weight: FontWeight, width: number) {
  if (measure(s, size, weight) <= width) return s;
  const chars = [...s];
  while (chars.length && measure(chars.join('') + '…', size, weight) > width) chars.pop();
  return chars.join('') + '…';
}

/** The largest size in [minSize, size] at which the text fits its box; at minSize it is cut with "…". */
function fitText(e: TextEl, s: string) {
  const min = e.minSize ?? e.size;
  for (let size = e.size; size >= min; size--) {
    const lines = e.lines === 1 ? [s] : wrap(s, size, e.weight, e.w);
    const fitsW = lines.every((l) => measure(l, size, e.weight) <= e.w);
    if (lines.length <= e.lines && fitsW && lines.length * size * LINE <= e.h + size * (LINE - 1))
      return { size, lines };
  }
  const maxLines = Math.max(1, Math.min(e.lines, Math.floor((e.h + min * (LINE - 1)) / (min * LINE))));
  const lines = e.lines === 1 ? [s] : wrap(s, min, e.weight, e.w);
  const kept = lines.slice(0, maxLines);
  if (lines.length > maxLines) kept[maxLines - 1] += '…';
  kept[kept.length - 1] = ellipsize(kept[kept.length - 1], min, e.weight, e.w);
  return { size: min, lines: kept.map((l) => ellipsize(l, min, e.weight, e.w)) };
}

function textSvg(e: TextEl, s: string, used: Set<string>): string {
  const { size, lines } = fitText(e, s);
  const { ascent, descent } = metrics(size, e.weight);
  const lh = size * LINE;
  const blockTop = e.y + (e.h - (lines.length * lh - (lh - size))) / 2;
  const fill = PALETTE[e.color];
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return lines
    .map((line, i) => {
      const run = layoutLine(line, size, e.weight);
      const x =
        e.align === 'left' ? e.x : e.align === 'right' ? e.x + e.w - run.width : e.x + (e.w - run.width) / 2;
      const baseline = blockTop + i * lh + (size - (ascent + descent)) / 2 + ascent;
      const [tx, ty] = [r2(x), r2(baseline)];
      for (const g of run.glyphs) used.add(g.id);
      // Outlines are in font units, y up: one scaled group per line, each glyph a <use> of its outline.
      const uses = run.glyphs
        .map((g) => `<use href="#${g.id}" x="${g.x}"${g.y ? ` y="${-g.y}"` : ''}/>`)
        .join('');
      const strike = e.strike
        ? `<rect x="${tx}" y="${Math.round(ty - size * 0.32)}" width="${Math.round(run.width)}" height="${Math.max(1, Math.round(size / 14))}" fill="${fill}"/>`
        : '';
      return `<g fill="${fill}" transform="translate(${tx} ${ty}) scale(${r2(run.scale * 1e4) / 1e4} ${-r2(run.scale * 1e4) / 1e4})">${uses}</g>${strike}`;
    })
    .join('');
}

/** Whether renderSvg draws element `e` on `page` (its page, and its `when` against the promotion). */
const shown = (e: TemplateElement, page: number, promoActive: boolean) =>
  e.page === page && !(e.when === 'promo' && !promoActive) && !(e.when === 'noPromo' && promoActive);

// The fields each (template, page, promotion) draws, in a fixed order: worked out once per template.
const fieldsDrawn = new WeakMap<TemplateBody, Map<string, FieldName[]>>();

/**
 * What renderSvg reads of the field values for a page: whether a promotion runs (the elements'
 * `when`) and the value of each field an element shown on that page draws. Two labels with the
 * same drawn values get the same bytes (the store name or label id only count where a template
 * shows them), so the content key is built from these, not from every field.
 */
export function drawnValues(t: TemplateBody, v: FieldValues, page = 1) {
  let byPage = fieldsDrawn.get(t);
  if (!byPage) fieldsDrawn.set(t, (byPage = new Map()));
  const k = `${page}|${v.promoActive}`;
  let fields = byPage.get(k);
  if (!fields) {
    const set = new Set<FieldName>();
    for (const e of t.elements)
      if (shown(e, page, v.promoActive) && 'field' in e && e.field !== undefined) set.add(e.field);
    fields = [...set].sort();
    byPage.set(k, fields);
  }
  return { promoActive: v.promoActive, fields: fields.map((f) => [f, v[f]] as const) };
}

export function renderSvg(model: LabelModel, t: TemplateBody, v: FieldValues, page = 1): string {
  const errors: Record<string, string> = {};
  const parts: string[] = [];
  const used = new Set<string>();
  t.elements.forEach((e, i) => {
    if (!shown(e, page, v.promoActive)) return;
    const at = `elements[${i}]`;
    const fieldKey = 'field' in e && e.field !== undefined ? `${at}.field` : `${at}.text`;
    const what = 'field' in e && e.field !== undefined ? `field "${e.field}"` : 'text';
    try {
      if (e.type === 'rect') {
        const sw = e.stroke ? e.strokeWidth : 0;
        parts.push(
          `<rect x="${e.x + sw / 2}" y="${e.y + sw / 2}" width="${e.w - sw}" height="${e.h - sw}" fill="${e.fill ? PALETTE[e.fill] : 'none'}"` +
            (e.stroke ? ` stroke="${PALETTE[e.stroke]}" stroke-width="${sw}"` : '') +
            '/>',
        );
      } else if (e.type === 'text') {
        const value = e.field !== undefined ? v[e.field] : (e.text ?? '');
        if (!value) return;
        const s = `${e.prefix}${value}${e.suffix}`.replace(/[\r\n\t]+/g, ' ');
        const missing = missingGlyphs(s, e.weight);
        if (missing.length) {
          errors[fieldKey] =
            `${what}: the label font has no glyph for ${missing.slice(0, 5).map(describeChar).join(', ')}`;
          return;
        }
        parts.push(textSvg(e, s, used));
      } else if (e.type === 'barcode') {
        const value = v[e.field];
        const sym = e.symbology === 'auto' ? pickSymbology(value) : e.symbology;
        try {
          parts.push(barcodeSvg(sym, value, e, e.showText, PALETTE[e.color]));
        } catch (err) {
          // "auto": a value too long for Code 128 in this box is drawn as a QR code instead.
          if (
            !(err instanceof BarcodeError) ||
            e.symbology !== 'auto' ||
            sym !== 'code128' ||
            !/^needs/.test(err.message)
          )
            throw err;
          parts.push(qrSvg(value, e, PALETTE[e.color]));
        }
      } else {
        parts.push(qrSvg(`${e.prefix}${v[e.field]}`, e, PALETTE[e.color]));
      }
    } catch (err) {
      if (!(err instanceof BarcodeError)) throw err;
      const sym =
        e.type === 'barcode' ? (e.symbology === 'auto' ? pickSymbology(v[e.field]) : e.symbology) : 'QR';
      errors[fieldKey] =
        `${what}: "${String(v[(e as { field: keyof FieldValues }).field]).slice(0, 40)}" cannot be drawn as ${sym === 'ean13' ? 'EAN-13' : sym === 'code128' ? 'Code 128' : 'a QR code'}: ${err.message}`;
    }
  });
  if (Object.keys(errors).length) throw new ValidationError('The label cannot be rendered.', errors);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${model.width}" height="${model.height}" viewBox="0 0 ${model.width} ${model.height}">` +
    `<defs>${[...used]
      .sort()
      .map((id) => `<path id="${id}" d="${glyphOutline(id)}"/>`)
      .join('')}</defs>` +
    `<rect width="${model.width}" height="${model.height}" fill="${PALETTE[t.background]}"/>${parts.join('')}</svg>`
  );
}
