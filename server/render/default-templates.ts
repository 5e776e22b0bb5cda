// The built-in template of each seeded model: what a label shows until an operator assigns
// one of their own. Plain template data, checked by the same schema as any other.
import type { LabelModel } from './label-model.js';

type Raw = { background?: string; elements: Record<string, unknown>[] };

const W296: Raw = {
  elements: [
    { type: 'text', field: 'name', x: 4, y: 2, w: 288, h: 26, size: 22, minSize: 14, weight: 'bold' },
    { type: 'text', field: 'nameLatin', x: 4, y: 28, w: 288, h: 15, size: 13, minSize: 10 },
    { type: 'text', field: 'spec', prefix: '规格 ', x: 4, y: 43, w: 150, h: 15, size: 13, minSize: 11 },
    { type: 'text', field: 'origin', prefix: '产地 ', x: 4, y: 58, w: 150, h: 15, size: 13, minSize: 11 },
    {
      type: 'text',
      field: 'price',
      when: 'noPromo',
      x: 4,
      y: 72,
      w: 150,
      h: 42,
      size: 40,
      minSize: 24,
      weight: 'bold',
    },
    {
      type: 'text',
      field: 'promoPrice',
      when: 'promo',
      x: 4,
      y: 72,
      w: 108,
      h: 42,
      size: 38,
      minSize: 22,
      weight: 'bold',
      color: 'red',
    },
    {
      type: 'text',
      field: 'regularPrice',
      when: 'promo',
      x: 112,
      y: 86,
      w: 42,
      h: 16,
      size: 12,
      minSize: 9,
      strike: true,
    },
    { type: 'text', field: 'unitPrice', when: 'noPromo', x: 4, y: 114, w: 150, h: 14, size: 12, minSize: 10 },
    { type: 'text', field: 'unitPrice', when: 'promo', x: 4, y: 114, w: 70, h: 14, size: 11, minSize: 8 },
    {
      type: 'text',
      field: 'lowestPrice30d',
      prefix: '30天最低 ',
      when: 'promo',
      x: 76,
      y: 114,
      w: 78,
      h: 14,
      size: 10,
      minSize: 7,
    },
    { type: 'rect', when: 'promo', x: 156, y: 44, w: 138, h: 16, fill: 'red' },
    {
      type: 'text',
      field: 'promoPeriod',
      prefix: '促销 ',
      when: 'promo',
      x: 158,
      y: 44,
      w: 134,
      h: 16,
      size: 11,
      minSize: 9,
      color: 'white',
      align: 'center',
      weight: 'bold',
    },
    { type: 'barcode', field: 'sku', x: 156, y: 62, w: 138, h: 64 },
  ],
};

const W250: Raw = {
  elements: [
    { type: 'text', field: 'name', x: 4, y: 2, w: 242, h: 24, size: 20, minSize: 12, weight: 'bold' },
    { type: 'text', field: 'nameLatin', x: 4, y: 26, w: 242, h: 14, size: 12, minSize: 9 },
    { type: 'text', field: 'price', x: 4, y: 42, w: 130, h: 40, size: 36, minSize: 20, weight: 'bold' },
    {
      type: 'text',
      field: 'regularPrice',
      when: 'promo',
      x: 4,
      y: 82,
      w: 130,
      h: 14,
      size: 11,
      minSize: 9,
      strike: true,
    },
    { type: 'text', field: 'unitPrice', x: 4, y: 104, w: 130, h: 14, size: 11, minSize: 9 },
    { type: 'barcode', field: 'sku', x: 136, y: 44, w: 110, h: 74 },
  ],
};

const W400: Raw = {
  elements: [
    {
      type: 'text',
      field: 'name',
      x: 10,
      y: 8,
      w: 380,
      h: 64,
      size: 30,
      minSize: 18,
      weight: 'bold',
      lines: 2,
    },
    { type: 'text', field: 'nameLatin', x: 10, y: 72, w: 380, h: 20, size: 16, minSize: 11 },
    { type: 'text', field: 'spec', prefix: '规格 ', x: 10, y: 96, w: 250, h: 18, size: 14, minSize: 10 },
    { type: 'text', field: 'origin', prefix: '产地 ', x: 10, y: 116, w: 250, h: 18, size: 14, minSize: 10 },
    { type: 'rect', when: 'promo', x: 0, y: 140, w: 270, h: 80, fill: 'yellow' },
    { type: 'text', field: 'price', x: 10, y: 144, w: 250, h: 72, size: 64, minSize: 32, weight: 'bold' },
    {
      type: 'text',
      field: 'regularPrice',
      when: 'promo',
      prefix: '原价 ',
      x: 10,
      y: 222,
      w: 110,
      h: 20,
      size: 16,
      minSize: 11,
      strike: true,
    },
    {
      type: 'text',
      field: 'lowestPrice30d',
      prefix: '30天最低 ',
      when: 'promo',
      x: 122,
      y: 222,
      w: 146,
      h: 20,
      size: 16,
      minSize: 10,
    },
    {
      type: 'text',
      field: 'promoPeriod',
      prefix: '促销期 ',
      when: 'promo',
      x: 10,
      y: 244,
      w: 250,
      h: 20,
      size: 16,
      minSize: 11,
    },
    {
      type: 'text',
      field: 'unitPrice',
      prefix: '单价 ',
      x: 10,
      y: 268,
      w: 250,
      h: 22,
      size: 16,
      minSize: 11,
    },
    { type: 'qrcode', field: 'sku', x: 290, y: 100, w: 100, h: 100 },
    { type: 'barcode', field: 'sku', x: 270, y: 210, w: 126, h: 84 },
    {
      type: 'text',
      field: 'name',
      page: 2,
      x: 10,
      y: 10,
      w: 380,
      h: 40,
      size: 28,
      minSize: 16,
      weight: 'bold',
    },
    { type: 'text', field: 'labelId', prefix: 'Label ', page: 2, x: 10, y: 60, w: 380, h: 24, size: 18 },
    { type: 'qrcode', field: 'sku', page: 2, x: 100, y: 100, w: 200, h: 190 },
  ],
};

/** A generic layout for a model without a built-in one: name, price and barcode stacked. */
function generic(m: LabelModel): Raw {
  const u = (f: number, of: number) => Math.max(1, Math.floor(f * of));
  const x = u(0.03, m.width);
  const w = m.width - 2 * x;
  return {
    elements: [
      {
        type: 'text',
        field: 'name',
        x,
        y: 0,
        w,
        h: u(0.2, m.height),
        size: Math.max(8, u(0.15, m.height)),
        minSize: 6,
        weight: 'bold',
      },
      {
        type: 'text',
        field: 'price',
        x,
        y: u(0.2, m.height),
        w,
        h: u(0.35, m.height),
        size: Math.max(8, u(0.28, m.height)),
        minSize: 6,
        weight: 'bold',
      },
      { type: 'barcode', field: 'sku', x, y: u(0.56, m.height), w, h: m.height - u(0.56, m.height) - 1 },
    ],
  };
}

/** Accent colours adapted to the model: red or yellow where the panel has it, outlines and black where not. */
function recolour(t: Raw, m: LabelModel): Raw {
  const accent = m.colours === 'bwr' ? 'red' : m.colours === 'bwy' ? 'yellow' : null;
  const isAccent = (c: unknown) => c === 'red' || c === 'yellow';
  return {
    ...t,
    elements: t.elements
      .filter((e) => Number(e.page ?? 1) <= m.pages)
      .map((e) => {
        const out = { ...e };
        if (e.type === 'rect' && isAccent(e.fill)) {
          if (accent) out.fill = accent;
          else {
            delete out.fill;
            out.stroke = 'black';
          }
        }
        if (isAccent(e.color)) out.color = accent === 'red' ? 'red' : 'black';
        if (e.color === 'white' && accent !== 'red') out.color = 'black';
        return out;
      }),
  };
}

export function builtInTemplate(m: LabelModel): Raw {
  const t =
    m.width === 296 && m.height === 128
      ? W296
      : m.width === 250 && m.height === 122
        ? W250
        : m.width === 400 && m.height === 300
          ? W400
          : generic(m);
  return recolour(t, m);
}
