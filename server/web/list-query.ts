// What every long list page reads from its query string: the page, the page size and the store
// filter. Values out of range fall back to the defaults (a bad link shows the first page).
import type { Request } from 'express';

export const PAGE_SIZES = [25, 50, 100, 200] as const;

export interface ListQuery {
  page: number;
  pageSize: number;
  /** The store filter (a store id), or null for every store the reader may see. */
  storeId: number | null;
}

export function listQuery(req: Request, defaultSize = 50): ListQuery {
  const n = (v: unknown) => (typeof v === 'string' && /^[0-9]{1,9}$/.test(v) ? Number(v) : 0);
  const size = n(req.query.pageSize);
  return {
    page: Math.max(1, Math.min(n(req.query.page) || 1, 100_000)),
    pageSize: PAGE_SIZES.some((s) => s === size) ? size : defaultSize,
    storeId: n(req.query.store) || null,
  };
}

/** The query string of a list page with some values replaced (for pager and filter links). */
export function withQuery(query: Request['query'], patch: Record<string, string | number | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string' && v !== '') q.set(k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === '') q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
