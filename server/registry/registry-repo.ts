// What still uses a registry entry, asked before it is deleted: the stores bound to a Group ID
// and the APs connected under it (the catalog's and the devices' tables, read only).
import type { Queryable } from '../db/pool.js';
import { queryRows, querySingle } from '../db/query.js';

export interface GroupUsage {
  /** codes of the stores the Group ID is bound to */
  stores: string[];
  /** APs of the Group ID connected now */
  onlineAps: number;
}

export async function groupUsage(db: Queryable, groupId: string): Promise<GroupUsage> {
  const stores = await queryRows<{ code: string }>(
    db,
    'SELECT s.code FROM store_groups sg JOIN stores s ON s.id = sg.store_id WHERE sg.group_id = ? ORDER BY s.code',
    [groupId],
  );
  const aps = await querySingle<{ n: number | string }>(
    db,
    'SELECT COUNT(*) AS n FROM aps WHERE group_id = ? AND online = 1',
    [groupId],
  );
  return { stores: stores.map((s) => s.code), onlineAps: Number(aps.n) };
}
