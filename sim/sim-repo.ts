// The simulator's one read of the platform's database: which labels each Group ID has,
// so the simulated APs serve exactly the labels the platform will address.
import type { Queryable } from '../server/db/pool.js';
import { queryRows } from '../server/db/query.js';

export async function labelsByGroup(db: Queryable, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((g) => [g, []]));
  if (!groupIds.length) return out;
  const rows = await queryRows<{ g: string; l: string }>(
    db,
    'SELECT group_id AS g, label_id AS l FROM labels WHERE group_id IN (?) ORDER BY label_id',
    [groupIds],
  );
  for (const r of rows) out.get(r.g)!.push(r.l);
  return out;
}
