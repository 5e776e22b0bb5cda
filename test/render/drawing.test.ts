// The drawing code on its own: the same content gives the same PNG bytes, every model's
// size, unit prices in exact decimals, and the errors that name the element and field.
import { describe, expect, it, vi } from 'vitest';
import { builtInTemplate } from '../../server/render/default-templates.js';
import { parseTemplate } from '../../server/render/template-schema.js';
import { fieldValues, unitPrice, type LabelFacts } from '../../server/render/label-content.js';
import { drawnValues, renderSvg } from '../../server/render/label-svg.js';
import { pngSize, rasterise, sha256 } from '../../server/render/rasterise.js';
import { pickSymbology } from '../../server/render/barcode.js';
import { missingGlyphs } from '../../server/render/font.js';
import type { LabelModel } from '../../server/render/label-model.js';
import { ValidationError } from '../../server/core/errors.js';

const MODELS: LabelModel[] = [
  { code: 'bwr-290', name: '', width: 296, height: 128, colours: 'bwr', pages: 1 },
  { code: 'bw-213', name: '', width: 250, height: 122, colours: 'bw', pages: 1 },
  { code: 'bwy-420', name: '', width: 400, height: 300, colours: 'bwy', pages: 2 },
  { code: 'odd', name: '', width: 152, height: 152, colours: 'bw', pages: 1 },
];
const AT = new Date('2026-12-02T04:00:00Z');
const facts = (over: Partial<LabelFacts> = {}): LabelFacts => ({
  labelId: 'L-1',
  sku: '6901234567892',
  name: '可口可乐 汽水 330毫升',
  nameLatin: 'Coca-Cola 330 ml',
  unit: 'pcs',
  currency: 'CNY',
  origin: '上海',
  spec: '330ml',
  netQuantity: '330.000',
  netUnit: 'ml',
  storeName: 'S',
  storeTimezone: 'Asia/Shanghai',
  price: {
    price: '3.50',
    promoPrice: '2.99',
    promoFrom: new Date('2026-12-01T00:00:00Z'),
    promoTo: new Date('2026-12-08T00:00:00Z'),
  },
  ...over,
});
const draw = (m: LabelModel, f: LabelFacts, page = 1, tpl: unknown = builtInTemplate(m)) =>
  rasterise(renderSvg(m, parseTemplate(JSON.stringify(tpl), m), fieldValues(f, AT), page));
const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.fields;
    throw err;
  }
  throw new Error('no error');
};

describe('drawing', () => {
  it('gives the same bytes for the same content and the model size for every built-in layout', () => {
    for (const m of MODELS)
      for (let page = 1; page <= m.pages; page++) {
        const a = draw(m, facts(), page);
        const b = draw(m, facts(), page);
        expect(b.equals(a), m.code).toBe(true);
        expect(pngSize(a)).toEqual({ width: m.width, height: m.height });
        // every page shows the name: another name is another image
        expect(sha256(draw(m, facts({ name: '百事可乐 汽水 330毫升' }), page)), m.code).not.toBe(sha256(a));
      }
  });

  it('computes unit prices exactly, half up to the cent', () => {
    expect(unitPrice('12.50', '515', 'g')).toEqual({ amount: '24.27', per: 'kg' });
    expect(unitPrice('3.50', '330', 'ml')).toEqual({ amount: '1.06', per: '100ml' });
    expect(unitPrice('9.90', '1.5', 'l')).toEqual({ amount: '0.66', per: '100ml' });
    expect(unitPrice('59.00', '2.000', 'kg')).toEqual({ amount: '29.50', per: 'kg' });
    expect(unitPrice('0.01', '1000', 'kg')).toEqual({ amount: '0.00', per: 'kg' });
    expect(unitPrice('3.50', null, null)).toBeNull();
    expect(unitPrice('3.50', '2', 'pcs')).toBeNull();
    const v = fieldValues(facts(), AT);
    expect(v).toMatchObject({
      price: '¥2.99',
      regularPrice: '¥3.50',
      promoPrice: '¥2.99',
      unitPrice: '¥0.91/100ml',
      promoPeriod: '12.01–12.08',
    });
    expect(fieldValues(facts(), new Date('2026-12-09T00:00:00Z'))).toMatchObject({
      price: '¥3.50',
      promoPrice: '',
      promoPeriod: '',
    });
  });

  it('draws a barcode the same whether or not another value of its shape was drawn before', async () => {
    const box = { x: 0, y: 0, w: 138, h: 64 };
    const fresh = async () => {
      vi.resetModules();
      return (await import('../../server/render/barcode.js')).barcodeSvg;
    };
    const cold = await fresh();
    const alone = cold('code128', 'SKU-000124', box, true, '#000000');
    const warm = await fresh();
    warm('code128', 'SKU-000123', box, true, '#000000');
    expect(warm('code128', 'SKU-000124', box, true, '#000000')).toBe(alone);
    const ean = (await fresh())('ean13', '6901234567885', box, true, '#000000');
    const warmEan = await fresh();
    warmEan('ean13', '6901234567892', box, true, '#000000');
    expect(warmEan('ean13', '6901234567885', box, true, '#000000')).toBe(ean);
  });

  it('draws a QR code the same whether or not another value of its shape was drawn before', async () => {
    const box = { x: 0, y: 0, w: 138, h: 64 };
    const fresh = async () => {
      vi.resetModules();
      return (await import('../../server/render/barcode.js')).qrSvg;
    };
    // same shape, same size; then same shape ("x" = any other character) but more bytes in UTF-8
    for (const [before, value] of [
      ['Bab12cd-123', 'Bxy98zw-456'],
      ['Bab12cd-123', 'B条码12码-456'],
    ]) {
      const alone = (await fresh())(value, box, '#000000');
      const warm = await fresh();
      warm(before, box, '#000000');
      expect(warm(value, box, '#000000')).toBe(alone);
    }
  });

  it('keys an image by the values its page draws: fields it does not show change neither key nor bytes', () => {
    const texts = { store: 'Another store', labelId: 'L-999', currency: 'EUR', unit: 'kg' };
    for (const m of MODELS)
      for (let page = 1; page <= m.pages; page++)
        for (const promo of [true, false]) {
          const t = parseTemplate(JSON.stringify(builtInTemplate(m)), m);
          const f = promo ? facts() : facts({ price: { ...facts().price, promoPrice: null } });
          const v = fieldValues(f, AT);
          const drawn = new Set(drawnValues(t, v, page).fields.map(([k]) => k));
          // every field the page does not draw, changed: the same key and the same bytes
          const other = { ...v };
          for (const k of Object.keys(v) as (keyof typeof v)[])
            if (k !== 'promoActive' && !drawn.has(k))
              (other as Record<string, unknown>)[k] = (texts as Record<string, string>)[k] ?? 'ZZ 99';
          expect(drawnValues(t, other, page), `${m.code} p${page} ${promo}`).toEqual(drawnValues(t, v, page));
          expect(rasterise(renderSvg(m, t, other, page)).equals(rasterise(renderSvg(m, t, v, page)))).toBe(
            true,
          );
        }
    // a field it draws, and the promotion, do change the key
    const m = MODELS[2];
    const t = parseTemplate(JSON.stringify(builtInTemplate(m)), m);
    const v = fieldValues(facts(), AT);
    expect(drawnValues(t, { ...v, labelId: 'L-2' }, 1)).toEqual(drawnValues(t, v, 1));
    expect(drawnValues(t, { ...v, labelId: 'L-2' }, 2)).not.toEqual(drawnValues(t, v, 2));
    expect(drawnValues(t, { ...v, name: '百事可乐' }, 1)).not.toEqual(drawnValues(t, v, 1));
    expect(drawnValues(t, { ...v, promoActive: false }, 1)).not.toEqual(drawnValues(t, v, 1));
  });

  it('picks EAN-13 for a valid EAN-13 and Code 128 otherwise', () => {
    expect(pickSymbology('6901234567892')).toBe('ean13');
    expect(pickSymbology('6901234567890')).toBe('code128');
    expect(pickSymbology('ABC-1')).toBe('code128');
  });

  it('names the element and field it cannot draw', () => {
    const m = MODELS[0];
    expect(missingGlyphs('可口可乐 𠀀 🍎 ก')).toEqual(['𠀀', '🍎', 'ก']);
    expect(fieldsOf(() => draw(m, facts({ name: '好 𠀀' })))).toEqual({
      'elements[0].field': 'field "name": the label font has no glyph for "𠀀" (U+20000)',
    });
    const ean = { elements: [{ type: 'barcode', symbology: 'ean13', x: 0, y: 0, w: 200, h: 100 }] };
    expect(fieldsOf(() => draw(m, facts({ sku: '6901234567890' }), 1, ean))['elements[0].field']).toMatch(
      /field "sku": "6901234567890" cannot be drawn as EAN-13: .*check digit/i,
    );
    const c128 = { elements: [{ type: 'barcode', symbology: 'code128', x: 0, y: 0, w: 200, h: 100 }] };
    expect(fieldsOf(() => draw(m, facts({ sku: '条码' }), 1, c128))['elements[0].field']).toMatch(
      /Code 128 takes printable ASCII/,
    );
    const fixed = { elements: [{ type: 'text', text: '🍎 特价', x: 0, y: 0, w: 200, h: 30, size: 20 }] };
    expect(fieldsOf(() => draw(m, facts(), 1, fixed))['elements[0].text']).toMatch(/U\+1F34E/);
    expect(
      fieldsOf(() =>
        parseTemplate(JSON.stringify({ elements: [{ type: 'qrcode', x: 0, y: 100, w: 40, h: 40 }] }), m),
      ),
    ).toEqual({
      'elements[0].h': 'y + h = 140 is taller than the model (128 px)',
    });
    expect(
      fieldsOf(() =>
        parseTemplate(JSON.stringify({ elements: [{ type: 'circle', x: 0, y: 0, w: 4, h: 4 }] }), m),
      ),
    ).toHaveProperty('elements[0].type');
  });
});
