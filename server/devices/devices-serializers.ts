// The JSON of GET /api/v1/aps and GET /api/v1/labels/mismatches: times as ISO strings.
import type { ApListRow } from './ap-list-repo.js';
import type { MismatchRow } from './mismatch-repo.js';
import type { LabelHealthRow } from './label-health-repo.js';
import type { Page } from '../core/list-page.js';

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

export function apPageJson(page: Page<ApListRow>, counts: { total: number; online: number }) {
  return {
    total: counts.total,
    online: counts.online,
    aps: page.items.map(apJson),
    nextCursor: page.nextCursor,
  };
}

export function mismatchPageJson(page: Page<MismatchRow>) {
  return { labels: page.items.map(mismatchJson), nextCursor: page.nextCursor };
}

export const labelHealthJson = (r: LabelHealthRow) => ({
  labelId: r.labelId,
  store: r.storeCode,
  groupId: r.groupId,
  sku: r.sku,
  boundAt: iso(r.boundAt),
  batteryMv: r.batteryMv,
  rssi: r.rssi,
  lastSeenAt: iso(r.lastSeenAt),
  lastConfirmedAt: iso(r.lastConfirmedAt),
  servingAp: r.servingAp,
  servingApOnline: r.apOnline === null ? null : Number(r.apOnline) === 1,
  displayedHash: r.displayedHash,
  expectedHash: r.expectedHash,
  inSync:
    r.displayedHash !== null &&
    (r.displayedHash === r.expectedHash ||
      (r.expectedImageHash !== null && r.displayedHash === r.expectedImageHash)),
});

export const labelHealthPageJson = (page: Page<LabelHealthRow>) => ({
  labels: page.items.map(labelHealthJson),
  nextCursor: page.nextCursor,
});
