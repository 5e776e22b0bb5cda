// Cursor pagination for every /api/v1 list, one helper: the query (`cursor`, `limit` and the
// list's own filters) is checked with one zod object, which the OpenAPI document also reads;
// a page answers its rows and `nextCursor` (null on the last page). A cursor is opaque to
// callers: base64url of the last row's sort key, so a page never shifts when rows are added
// before it (keyset, not offset). Repos take the decoded key with `keyset()` and order by it.
import { z } from 'zod';
import { ValidationError } from './errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The decoded cursor: the sort key of the last row of the previous page. */
export type CursorKey = (string | number)[];

export interface PageRequest<F> {
  limit: number;
  after: CursorKey | null;
  filters: F;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const encodeCursor = (key: CursorKey) => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(s: string): CursorKey | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number'))
      return v;
  } catch {
    // not ours
  }
  return null;
}

const pagingShape = {
  cursor: z
    .string({ error: 'give one cursor' })
    .max(512, 'not a cursor of this list')
    .optional()
    .meta({ description: "The previous answer's `nextCursor`; omit for the first page" }),
  limit: z.coerce
    .number({ error: `must be a whole number from 1 to ${MAX_LIMIT}` })
    .int(`must be a whole number from 1 to ${MAX_LIMIT}`)
    .min(1, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .max(MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .optional()
    .meta({ description: `Rows per page (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})` }),
};

/** A list's query schema: its filters plus `cursor` and `limit` (documented by queryParams()). */
export function listQuery<S extends z.ZodRawShape>(filters: S) {
  return z.strictObject(
    { ...filters, ...pagingShape },
    {
      error: (i) =>
        i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : 'invalid query',
    },
  );
}

/** Checks a request's query against a listQuery() schema; names each bad parameter. */
export function parseList<S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
  query: unknown,
): PageRequest<Omit<z.output<z.ZodObject<S>>, 'cursor' | 'limit'>> {
  // Express hands repeated parameters as arrays; a list takes each filter once.
  const raw = Object.fromEntries(
    Object.entries((query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v === '' ? undefined : v]),
  );
  const r = schema.safeParse(raw);
  if (!r.success) {
    const fields: Record<string, string> = {};
    for (const i of r.error.issues) {
      const keys = i.code === 'unrecognized_keys' ? i.keys : [String(i.path[0] ?? 'query')];
      for (const k of keys) fields[k] ??= i.message;
    }
    throw new ValidationError('Invalid paging or filter.', fields);
  }
  const { cursor, limit, ...filters } = r.data as Record<string, unknown>;
  let after: CursorKey | null = null;
  if (typeof cursor === 'string') {
    after = decodeCursor(cursor);
    if (!after)
      throw new ValidationError('Invalid paging or filter.', { cursor: 'not a cursor of this list' });
  }
  return {
    limit: typeof limit === 'number' ? limit : DEFAULT_LIMIT,
    after,
    filters: filters as Omit<z.output<z.ZodObject<S>>, 'cursor' | 'limit'>,
  };
}

/** Rows fetched with `limit + 1` to a page: at most `limit` rows, and the cursor of the next. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items,
    nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null,
  };
}

/** A page of a list held in memory (small admin lists), ordered by `keyOf` as the caller sorted it. */
export function pageOfArray<T>(
  all: T[],
  p: PageRequest<unknown>,
  keyOf: (row: T) => string | number,
): Page<T> {
  let start = 0;
  if (p.after) {
    const last = p.after[0];
    const i = all.findIndex((r) => String(keyOf(r)) === String(last));
    const after = (k: string | number) =>
      typeof k === 'number' ? k > Number(last) : String(k) > String(last);
    start = i >= 0 ? i + 1 : all.findIndex((r) => after(keyOf(r)));
    if (start < 0) start = all.length;
  }
  return pageOf(all.slice(start, start + p.limit + 1), p.limit, (r) => [keyOf(r)]);
}

/**
 * The SQL of a keyset page over one unique sort column: the condition after the cursor (or
 * none), the ORDER BY and the LIMIT (one row more than asked, for pageOf()).
 */
export function keyset(column: string, p: PageRequest<unknown>, order: 'ASC' | 'DESC' = 'ASC') {
  const cond = p.after ? `${column} ${order === 'ASC' ? '>' : '<'} ?` : null;
  return {
    where: cond,
    params: p.after ? [p.after[0]] : [],
    tail: `ORDER BY ${column} ${order} LIMIT ${Number(p.limit) + 1}`,
  };
}

/**
 * WHERE clauses of a list, built in one place per query: filters push conditions, and a store
 * scope (the stores a caller may see) is one `stores()` call, so a scope applies to every list alike.
 */
export class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string | null, ...params: unknown[]) {
    if (sql) {
      this.parts.push(sql);
      this.params.push(...params);
    }
    return this;
  }
  eq(column: string, value: unknown) {
    return value === undefined || value === null ? this : this.add(`${column} = ?`, value);
  }
  /** Only rows of these stores; null or undefined means every store. */
  stores(column: string, storeIds: readonly number[] | null | undefined) {
    if (!storeIds) return this;
    return storeIds.length ? this.add(`${column} IN (?)`, storeIds) : this.add('FALSE');
  }
  page(column: string, p: PageRequest<unknown>, order: 'ASC' | 'DESC' = 'ASC') {
    const k = keyset(column, p, order);
    this.add(k.where, ...k.params);
    return k.tail;
  }
  get sql() {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** The query parameters of a route for the OpenAPI document, from the zod object its handler checks with. */
export function queryParams(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...json } = z.toJSONSchema(field as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
    });
    delete json.$schema;
    return { name, in: 'query', required: false, schema: json, ...(description ? { description } : {}) };
  });
}
