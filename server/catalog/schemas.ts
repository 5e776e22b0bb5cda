// Field rules shared by the forms and the API, with messages fit to show next to a field.
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

export const storeCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, - or _');
export const skuSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, '1-64 letters, digits, dot, - or _');
export const labelIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, - or _');
export const nameSchema = z.string().trim().min(1, 'required').max(200, 'at most 200 characters');
export const storeNameSchema = z.string().trim().min(1, 'required').max(128, 'at most 128 characters');
export const unitSchema = z.string().trim().min(1, 'required').max(32, 'at most 32 characters');
export const currencySchema = z
  .string()
  .trim()
  .regex(/^[A-Z]{3}$/, 'three capital letters (ISO 4217), e.g. CNY');
export const timezoneSchema = z
  .string()
  .trim()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return tz.length > 0 && tz.length <= 64;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Asia/Shanghai');

/** Parses each field with its schema; throws one ValidationError naming every bad field. */
export function parseFields<T extends Record<string, z.ZodType>>(
  shape: T,
  input: Record<string, unknown>,
): { [K in keyof T]: z.output<T[K]> } {
  const out: Record<string, unknown> = {};
  const fields: Record<string, string> = {};
  for (const [k, schema] of Object.entries(shape)) {
    const r = schema.safeParse(input[k] ?? '');
    if (r.success) out[k] = r.data;
    else fields[k] = r.error.issues[0].message;
  }
  if (Object.keys(fields).length) throw new ValidationError('Please correct the highlighted fields.', fields);
  return out as { [K in keyof T]: z.output<T[K]> };
}
