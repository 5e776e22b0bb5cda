// SQL of the stuck-task diagnosis: a task's open items grouped by what could hold them up
// (their Group ID, the AP that last reported the label and its connection, the AP's last error),
// and the APs each Group ID has. Both read through indexes: (task_id, state) on the items, the
// primary keys of labels and aps, (group_id) on aps.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';
import type { QuietWindow } from './quiet-hours.js';
import { quietOfGroups } from './quiet-hours-repo.js';

export interface OpenItemBucket {
  /** the label's store (a scoped reader's diagnosis counts its stores' buckets only) */
  storeId: number;
  groupId: string;
  /** the AP that last reported or confirmed the label, or null: no AP has ever reported it */
  ap: string | null;
  apGroupId: string | null;
  apOnline: boolean | null;
  apDisconnectedAt: Date | null;
  error: string | null;
  /** urgent items go during their store's quiet hours */
  urgent: boolean;
  n: number;
  /** the earliest change among these items (a failure's time, for errors) */
  firstAt: Date;
}

export async function openItemBuckets(db: Queryable, taskId: string): Promise<OpenItemBucket[]> {
  // Grouped by the label's serving AP first; the few APs are looked up after (a join to aps per
  // item, and grouping by its columns, doubled the cost on a 100,000-item task).
  const rows = await queryRows<{
    storeId: number;
    groupId: string;
    ap: string | null;
    error: string | null;
    urgent: number;
    n: string;
    firstAt: Date;
  }>(
    db,
    `SELECT i.store_id AS storeId, i.group_id AS groupId, l.last_ap_client_id AS ap, i.error, i.urgent, COUNT(*) AS n, MIN(i.updated_at) AS firstAt
     FROM task_items i
     LEFT JOIN labels l ON l.label_id = i.label_id
     WHERE i.task_id = ? AND i.state IN ('pending', 'sent', 'failed')
     GROUP BY i.store_id, i.group_id, l.last_ap_client_id, i.error, i.urgent
     LIMIT 5000`,
    [taskId],
  );
  const apIds = [...new Set(rows.map((r) => r.ap).filter((a): a is string => a !== null))];
  const aps = new Map<string, { groupId: string; online: number; disconnectedAt: Date | null }>();
  if (apIds.length) {
    const found = await queryRows<{
      clientId: string;
      groupId: string;
      online: number;
      disconnectedAt: Date | null;
    }>(
      db,
      'SELECT client_id AS clientId, group_id AS groupId, online, disconnected_at AS disconnectedAt FROM aps WHERE client_id IN (?)',
      [apIds],
    );
    for (const a of found) aps.set(a.clientId, a);
  }
  return rows.map((r) => {
    const a = r.ap ? aps.get(r.ap) : undefined;
    return {
      storeId: Number(r.storeId),
      groupId: r.groupId,
      ap: r.ap,
      apGroupId: a?.groupId ?? null,
      apOnline: a ? Number(a.online) === 1 : null,
      apDisconnectedAt: a?.disconnectedAt ?? null,
      error: r.error,
      urgent: Number(r.urgent) === 1,
      n: Number(r.n),
      firstAt: r.firstAt,
    };
  });
}

export interface GroupAps {
  total: number;
  online: number;
  /** the quiet hours of the group's store, if it has any */
  quiet?: QuietWindow | null;
}

export async function apsOfGroups(db: Queryable, groupIds: string[]): Promise<Map<string, GroupAps>> {
  const out = new Map<string, GroupAps>(groupIds.map((g) => [g, { total: 0, online: 0 }]));
  if (!groupIds.length) return out;
  const rows = await queryRows<{ g: string; total: string; online: string }>(
    db,
    'SELECT group_id AS g, COUNT(*) AS total, COALESCE(SUM(online), 0) AS online FROM aps WHERE group_id IN (?) GROUP BY group_id',
    [groupIds],
  );
  for (const r of rows) out.set(r.g, { total: Number(r.total), online: Number(r.online) });
  for (const [g, quiet] of await quietOfGroups(db, groupIds)) out.get(g)!.quiet = quiet;
  return out;
}
