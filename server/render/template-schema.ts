// The template format: data, never code. A template is JSON of positioned elements on one
// label model; each element shows a field of the label's content or a fixed text. The
// schema checks shapes; checkAgainstModel() checks what only the model can tell (size,
// colours, pages). Every problem is reported with its path (`elements[2].color`).
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { LabelModel } from './label-model.js';

/** The fields a template may show, with what they hold. */
export const FIELDS = {
  name: 'product name (Chinese or any script)',
  nameLatin: 'product name in Latin letters',
  price: 'the price in force now (promotion price during a promotion), with currency sign',
  regularPrice: 'the regular price, with currency sign',
  promoPrice: 'the promotion price while one runs, else empty',
  promoPeriod: 'the promotion period (store-local dates), else empty',
  lowestPrice30d:
    'during a promotion, the lowest price of the 30 days before it started (Omnibus), with currency sign; else, or without price history then, empty',
  currency: 'ISO currency code',
  unitPrice: 'price per kg or per 100 ml, from the product quantity and unit; empty without them',
  sku: 'the SKU',
  origin: 'country or region of origin',
  spec: 'specification line (size, grade, ...)',
  unit: 'the sales unit (pcs, kg, ...)',
  store: 'store name',
  labelId: 'the label id',
} as const;
export type FieldName = keyof typeof FIELDS;
const fieldEnum = z.enum(Object.keys(FIELDS) as [FieldName, ...FieldName[]], {
  error: (iss) => `unknown field "${String(iss.input)}"; known fields: ${Object.keys(FIELDS).join(', ')}`,
});

export const COLOURS = ['black', 'white', 'red', 'yellow'] as const;
export type Colour = (typeof COLOURS)[number];
const colour = z.enum(COLOURS, { error: () => `a colour is one of ${COLOURS.join(', ')}` });

const px = z.number({ error: 'a whole number of pixels' }).int('a whole number of pixels');
const box = {
  x: px.min(0),
  y: px.min(0),
  w: px.min(1),
  h: px.min(1),
  page: px.min(1).default(1),
  /** shown only during a promotion, only outside one, or always */
  when: z.enum(['always', 'promo', 'noPromo']).default('always'),
};

const text = z
  .object({
    type: z.literal('text'),
    ...box,
    field: fieldEnum.optional(),
    text: z.string().max(200).optional(),
    prefix: z.string().max(40).default(''),
    suffix: z.string().max(40).default(''),
    size: px.min(6).max(200),
    minSize: px.min(6).max(200).optional(),
    weight: z.enum(['regular', 'bold']).default('regular'),
    color: colour.default('black'),
    align: z.enum(['left', 'center', 'right']).default('left'),
    lines: px.min(1).max(4).default(1),
    strike: z.boolean().default(false),
  })
  .strict()
  .refine((e) => (e.field === undefined) !== (e.text === undefined), {
    message: 'give either "field" or "text", not both or neither',
    path: ['field'],
  });

const barcode = z
  .object({
    type: z.literal('barcode'),
    ...box,
    field: fieldEnum.default('sku'),
    symbology: z.enum(['ean13', 'code128', 'auto']).default('auto'),
    showText: z.boolean().default(true),
    color: colour.default('black'),
  })
  .strict();

const qrcode = z
  .object({
    type: z.literal('qrcode'),
    ...box,
    field: fieldEnum.default('sku'),
    prefix: z.string().max(120).default(''),
    color: colour.default('black'),
  })
  .strict();

const rect = z
  .object({
    type: z.literal('rect'),
    ...box,
    fill: colour.optional(),
    stroke: colour.optional(),
    strokeWidth: px.min(1).max(20).default(1),
  })
  .strict();

export const elementSchema = z.discriminatedUnion('type', [text, barcode, qrcode, rect], {
  error: () => 'an element "type" is one of text, barcode, qrcode, rect',
});
export type TemplateElement = z.infer<typeof elementSchema>;

export const templateBodySchema = z
  .object({
    background: colour.default('white'),
    elements: z.array(elementSchema).min(1, 'a template needs at least one element').max(60),
  })
  .strict();
export type TemplateBody = z.infer<typeof templateBodySchema>;

const pathOf = (p: readonly PropertyKey[]) =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('') || 'template';

const MODEL_COLOURS: Record<LabelModel['colours'], Colour[]> = {
  bw: ['black', 'white'],
  bwr: ['black', 'white', 'red'],
  bwy: ['black', 'white', 'yellow'],
};

/** Parses template JSON text for one model; every problem is a field of the ValidationError. */
export function parseTemplate(source: string, model: LabelModel): TemplateBody {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (err) {
    throw new ValidationError('The template is not valid JSON.', { template: (err as Error).message });
  }
  const r = templateBodySchema.safeParse(json);
  if (!r.success) {
    const fields: Record<string, string> = {};
    for (const i of r.error.issues) fields[pathOf(i.path)] ??= i.message;
    throw new ValidationError('The template has errors.', fields);
  }
  checkAgainstModel(r.data, model);
  return r.data;
}

export function checkAgainstModel(t: TemplateBody, model: LabelModel) {
  const fields: Record<string, string> = {};
  const allowed = MODEL_COLOURS[model.colours];
  const colourOk = (name: string, c: Colour | undefined) => {
    if (c && !allowed.includes(c))
      fields[name] = `${c} is not a colour of model ${model.code} (${model.colours})`;
  };
  colourOk('background', t.background);
  t.elements.forEach((e, i) => {
    const at = `elements[${i}]`;
    if (e.x + e.w > model.width)
      fields[`${at}.w`] = `x + w = ${e.x + e.w} is wider than the model (${model.width} px)`;
    if (e.y + e.h > model.height)
      fields[`${at}.h`] = `y + h = ${e.y + e.h} is taller than the model (${model.height} px)`;
    if (e.page > model.pages) fields[`${at}.page`] = `model ${model.code} has ${model.pages} page(s)`;
    if (e.type === 'rect') {
      colourOk(`${at}.fill`, e.fill);
      colourOk(`${at}.stroke`, e.stroke);
    } else colourOk(`${at}.color`, e.color);
    if (e.type === 'text' && e.minSize !== undefined && e.minSize > e.size)
      fields[`${at}.minSize`] = 'minSize is larger than size';
  });
  if (Object.keys(fields).length)
    throw new ValidationError('The template does not fit the label model.', fields);
}

/** Canonical text of a template body (stable key order), for storage and cache keys. */
export const canonicalTemplate = (t: TemplateBody) => JSON.stringify(t, null, 2);
