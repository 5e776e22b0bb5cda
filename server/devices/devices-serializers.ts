// The JSON of GET /api/v1/aps and GET /api/v1/labels/mismatches: times as ISO strings.
import type { ApListRow } from './ap-list-repo.js';
import type { MismatchRow } from './mismatch-repo.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

// The store's time zone is for the pages' local times; the API's times are UTC.
export const apJson = ({ storeTimezone: _zone, storeName: _name, ...r }: ApListRow) => ({
  ...r,
  connectedAt: iso(r.connectedAt),
  disconnectedAt: iso(r.disconnectedAt),
  lastSeenAt: iso(r.lastSeenAt),
  lastStatusAt: iso(r.lastStatusAt),
});

export const mismatchJson = ({ storeName: _name, ...r }: MismatchRow) => ({
  ...r,
  lastStatusAt: iso(r.lastStatusAt),
});

export function apPageJson(
  page: { rows: ApListRow[]; counts: { total: number; online: number } },
  paging: { page: number; pageSize: number },
) {
  return {
    total: page.counts.total,
    online: page.counts.online,
    page: paging.page,
    pageSize: paging.pageSize,
    aps: page.rows.map(apJson),
  };
}

export function mismatchPageJson(
  page: { rows: MismatchRow[]; total: number },
  paging: { page: number; pageSize: number },
) {
  return {
    total: page.total,
    page: paging.page,
    pageSize: paging.pageSize,
    labels: page.rows.map(mismatchJson),
  };
}
