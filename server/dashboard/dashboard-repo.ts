// SQL of the dashboard. Each query reads an index or a small table, except the label health
// counts, which are one pass over `labels` (see README: indexes on battery/signal/last-seen
// would tax every status report, which rewrites those columns for every label each minute).
import { queryOne, queryRows, querySingle } from '../db/query.js';
import { alertScopeSql, auditRefsScopeSql, storeScopeSql } from '../db/store-scope.js';
import { ACTIVE_TASK_STATES } from '../tasks/states.js';
import type { Queryable } from '../db/pool.js';
import { batterySql, seenSql, signalSql, BATTERY_BANDS, SIGNAL_BANDS } from './health-bands.js';

/** Tasks (table `tasks`) with a label in one of the scope's stores. */
function taskScope(scope: readonly number[] | null) {
  const sc = storeScopeSql('ti.store_id', scope);
  return scope
    ? {
        sql: ` AND EXISTS (SELECT 1 FROM task_items ti WHERE ti.task_id = tasks.id${sc.sql})`,
        params: sc.params,
      }
    : { sql: '', params: [] };
}

export interface StoreAps {
  storeId: number;
  code: string;
  name: string;
  groups: number;
  total: number;
  online: number;
  /** the earliest disconnect among its offline APs */
  offlineSince: Date | null;
}

/** APs per store (stores, their Group IDs and APs are small tables; aps is read by its group index). */
export async function apsByStore(db: Queryable, scope: readonly number[] | null = null): Promise<StoreAps[]> {
  const sc = storeScopeSql('s.id', scope);
  const rows = await queryRows<
    Omit<StoreAps, 'groups' | 'total' | 'online'> & Record<'groups' | 'total' | 'online', string>
  >(
    db,
    `SELECT s.id AS storeId, s.code, s.name, COUNT(DISTINCT sg.group_id) AS \`groups\`, COUNT(a.client_id) AS total,
       COALESCE(SUM(a.online), 0) AS online, MIN(IF(a.online = 0, a.disconnected_at, NULL)) AS offlineSince
     FROM stores s LEFT JOIN store_groups sg ON sg.store_id = s.id LEFT JOIN aps a ON a.group_id = sg.group_id
     WHERE TRUE${sc.sql} GROUP BY s.id, s.code, s.name ORDER BY s.code LIMIT 500`,
    sc.params,
  );
  return rows.map((r) => ({
    ...r,
    groups: Number(r.groups),
    total: Number(r.total),
    online: Number(r.online),
  }));
}

export interface LabelHealthCounts {
  total: number;
  battery: Record<string, number>;
  signal: Record<string, number>;
  stale: number;
  never: number;
}

/** Every band's count in one pass over labels (the band conditions are those of the health list). */
export async function labelHealth(
  db: Queryable,
  scope: readonly number[] | null = null,
): Promise<LabelHealthCounts> {
  const sc = storeScopeSql('l.store_id', scope);
  const parts: [string, string, unknown[]][] = [
    ...BATTERY_BANDS.map((b): [string, string, unknown[]] => [`battery_${b}`, ...batterySql(b)]),
    ...SIGNAL_BANDS.map((b): [string, string, unknown[]] => [`signal_${b}`, ...signalSql(b)]),
    ['seen_stale', ...seenSql('stale')],
    ['seen_never', ...seenSql('never')],
  ];
  const r = await querySingle<Record<string, string>>(
    db,
    `SELECT COUNT(*) AS total, ${parts.map(([k, cond]) => `COALESCE(SUM(${cond}), 0) AS ${k}`).join(', ')} FROM labels l WHERE TRUE${sc.sql}`,
    [...parts.flatMap(([, , args]) => args), ...sc.params],
  );
  const pick = (prefix: string, bands: readonly string[]) =>
    Object.fromEntries(bands.map((b) => [b, Number(r[`${prefix}_${b}`])]));
  return {
    total: Number(r.total),
    battery: pick('battery', BATTERY_BANDS),
    signal: pick('signal', SIGNAL_BANDS),
    stale: Number(r.seen_stale),
    never: Number(r.seen_never),
  };
}

/** Tasks per state: the running ones (ix_tasks_state) and those finished since `since` (ix_tasks_finished). */
export async function taskCounts(
  db: Queryable,
  since: Date,
  scope: readonly number[] | null = null,
): Promise<{ running: Record<string, number>; finished: Record<string, number> }> {
  const sc = taskScope(scope);
  const run = await queryRows<{ state: string; n: string }>(
    db,
    `SELECT state, COUNT(*) AS n FROM tasks WHERE state IN (?)${sc.sql} GROUP BY state`,
    [ACTIVE_TASK_STATES, ...sc.params],
  );
  const fin = await queryRows<{ state: string; n: string }>(
    db,
    `SELECT state, COUNT(*) AS n FROM tasks WHERE finished_at >= ?${sc.sql} GROUP BY state`,
    [since, ...sc.params],
  );
  const obj = (rows: { state: string; n: string }[]) =>
    Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  return { running: obj(run), finished: obj(fin) };
}

export interface HourBucket {
  /** hours ago: 0 = the last hour */
  ago: number;
  tasks: number;
  total: number;
  confirmed: number;
  timedOut: number;
  cancelled: number;
  avgMs: number | null;
  maxMs: number | null;
}

/**
 * Outcomes of the tasks finished in the last `hours` hours, per hour: for every store from the
 * tasks' rows (ix_tasks_finished), for a store scope from the per-store outcomes of its stores
 * (ix_task_store_outcomes_store), so that its figures count its stores' labels only.
 */
export async function hourlyOutcomes(
  db: Queryable,
  hours: number,
  scope: readonly number[] | null = null,
): Promise<HourBucket[]> {
  const sc = storeScopeSql('store_id', scope);
  const rows = await queryRows<Record<keyof HourBucket, string | null>>(
    db,
    scope
      ? `SELECT FLOOR(TIMESTAMPDIFF(SECOND, finished_at, NOW(3)) / 3600) AS ago, COUNT(DISTINCT task_id) AS tasks,
           SUM(items_total) AS total, SUM(items_confirmed) AS confirmed, SUM(items_timed_out) AS timedOut,
           SUM(items_cancelled) AS cancelled,
           SUM(confirm_sum_ms) / NULLIF(SUM(IF(confirm_sum_ms IS NULL, 0, items_confirmed)), 0) AS avgMs,
           MAX(confirm_max_ms) AS maxMs
         FROM task_store_outcomes WHERE finished_at >= NOW(3) - INTERVAL ? HOUR${sc.sql}
         GROUP BY ago ORDER BY ago`
      : `SELECT FLOOR(TIMESTAMPDIFF(SECOND, finished_at, NOW(3)) / 3600) AS ago, COUNT(*) AS tasks,
           SUM(items_total) AS total, SUM(items_confirmed) AS confirmed, SUM(items_timed_out) AS timedOut,
           SUM(items_cancelled) AS cancelled,
           SUM(confirm_avg_ms * items_confirmed) / NULLIF(SUM(IF(confirm_avg_ms IS NULL, 0, items_confirmed)), 0) AS avgMs,
           MAX(confirm_max_ms) AS maxMs
         FROM tasks WHERE finished_at >= NOW(3) - INTERVAL ? HOUR AND items_total IS NOT NULL
         GROUP BY ago ORDER BY ago`,
    [hours, ...sc.params],
  );
  const num = (v: string | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    ago: Number(r.ago),
    tasks: Number(r.tasks),
    total: Number(r.total),
    confirmed: Number(r.confirmed),
    timedOut: Number(r.timedOut),
    cancelled: Number(r.cancelled),
    avgMs: num(r.avgMs) === null ? null : Math.round(num(r.avgMs)!),
    maxMs: num(r.maxMs),
  }));
}

/** Unresolved alerts by state (server/alerts), through ix_alerts_state. */
export async function unresolvedAlerts(
  db: Queryable,
  scope: readonly number[] | null = null,
): Promise<{ open: number; acknowledged: number }> {
  const sc = alertScopeSql(scope);
  const rows = await queryRows<{ state: string; n: string }>(
    db,
    `SELECT state, COUNT(*) AS n FROM alerts al WHERE state IN ('open', 'acknowledged')${sc.sql} GROUP BY state`,
    sc.params,
  );
  const by = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  return { open: by.open ?? 0, acknowledged: by.acknowledged ?? 0 };
}

/** For auditors and admins: audit records since `since` (ix_audit_ts) and those not yet shipped to SLS. */
export async function auditFigures(
  db: Queryable,
  since: Date,
  storeCodes: string[] | null = null,
): Promise<{ today: number; unshipped: number }> {
  const sc = auditRefsScopeSql(storeCodes);
  const t = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(*) AS n FROM audit_log WHERE ts >= ?${sc.sql}`,
    [since, ...sc.params],
  );
  const u = await queryOne<{ n: string }>(
    db,
    'SELECT h.last_id - s.shipped_id AS n FROM audit_chain_head h JOIN audit_ship_state s ON s.id = 1 WHERE h.id = 1',
  );
  return { today: Number(t.n), unshipped: Math.max(0, Number(u?.n ?? 0)) };
}

/** For admins: accounts and API keys in use. */
export async function adminFigures(db: Queryable): Promise<{ users: number; apiKeys: number }> {
  const r = await querySingle<{ users: string; apiKeys: string }>(
    db,
    `SELECT (SELECT COUNT(*) FROM users WHERE disabled = 0) AS users,
       (SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL) AS apiKeys`,
  );
  return { users: Number(r.users), apiKeys: Number(r.apiKeys) };
}
