// The simulator's one read of the platform's database: which labels each Group ID has,
// so the simulated APs serve exactly the labels the platform will address.
import type { Queryable } from '../server/db/pool.js';

export async function labelsByGroup(db: Queryable, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((g) => [g, []]));
  if (!groupIds.length) return out;
  const [rows] = (await db.query(
    'SELECT group_id AS g, label_id AS l FROM labels WHERE group_id IN (?) ORDER BY label_id',
    [groupIds],
  )) as unknown as [{ g: string; l: string }[]];
  for (const r of rows) out.get(r.g)!.push(r.l);
  return out;
}
