// SQL of the dashboard. Each query reads an index or a small table, except the label health
// counts, which are one pass over `labels` (see README: indexes on battery/signal/last-seen
// would tax every status report, which rewrites those columns for every label each minute).
import { queryOne, queryRows, querySingle } from '../db/query.js';
import { ACTIVE_TASK_STATES } from '../tasks/states.js';
import type { Queryable } from '../db/pool.js';
import { batterySql, seenSql, signalSql, BATTERY_BANDS, SIGNAL_BANDS } from './health-bands.js';

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
export async function apsByStore(db: Queryable): Promise<StoreAps[]> {
  const rows = await queryRows<
    Omit<StoreAps, 'groups' | 'total' | 'online'> & Record<'groups' | 'total' | 'online', string>
  >(
    db,
    `SELECT s.id AS storeId, s.code, s.name, COUNT(DISTINCT sg.group_id) AS \`groups\`, COUNT(a.client_id) AS total,
       COALESCE(SUM(a.online), 0) AS online, MIN(IF(a.online = 0, a.disconnected_at, NULL)) AS offlineSince
     FROM stores s LEFT JOIN store_groups sg ON sg.store_id = s.id LEFT JOIN aps a ON a.group_id = sg.group_id
     GROUP BY s.id, s.code, s.name ORDER BY s.code LIMIT 500`,
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
export async function labelHealth(db: Queryable): Promise<LabelHealthCounts> {
  const parts: [string, string, unknown[]][] = [
    ...BATTERY_BANDS.map((b): [string, string, unknown[]] => [`battery_${b}`, ...batterySql(b)]),
    ...SIGNAL_BANDS.map((b): [string, string, unknown[]] => [`signal_${b}`, ...signalSql(b)]),
    ['seen_stale', ...seenSql('stale')],
    ['seen_never', ...seenSql('never')],
  ];
  const r = await querySingle<Record<string, string>>(
    db,
    `SELECT COUNT(*) AS total, ${parts.map(([k, cond]) => `COALESCE(SUM(${cond}), 0) AS ${k}`).join(', ')} FROM labels l`,
    parts.flatMap(([, , args]) => args),
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
): Promise<{ running: Record<string, number>; finished: Record<string, number> }> {
  const run = await queryRows<{ state: string; n: string }>(
    db,
    'SELECT state, COUNT(*) AS n FROM tasks WHERE state IN (?) GROUP BY state',
    [ACTIVE_TASK_STATES],
  );
  const fin = await queryRows<{ state: string; n: string }>(
    db,
    'SELECT state, COUNT(*) AS n FROM tasks WHERE finished_at >= ? GROUP BY state',
    [since],
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

/** Outcomes of the tasks finished in the last `hours` hours, per hour (their rows carry the outcome). */
export async function hourlyOutcomes(db: Queryable, hours: number): Promise<HourBucket[]> {
  const rows = await queryRows<Record<keyof HourBucket, string | null>>(
    db,
    `SELECT FLOOR(TIMESTAMPDIFF(SECOND, finished_at, NOW(3)) / 3600) AS ago, COUNT(*) AS tasks,
       SUM(items_total) AS total, SUM(items_confirmed) AS confirmed, SUM(items_timed_out) AS timedOut,
       SUM(items_cancelled) AS cancelled,
       SUM(confirm_avg_ms * items_confirmed) / NULLIF(SUM(IF(confirm_avg_ms IS NULL, 0, items_confirmed)), 0) AS avgMs,
       MAX(confirm_max_ms) AS maxMs
     FROM tasks WHERE finished_at >= NOW(3) - INTERVAL ? HOUR AND items_total IS NOT NULL
     GROUP BY ago ORDER BY ago`,
    [hours],
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
export async function unresolvedAlerts(db: Queryable): Promise<{ open: number; acknowledged: number }> {
  const rows = await queryRows<{ state: string; n: string }>(
    db,
    "SELECT state, COUNT(*) AS n FROM alerts WHERE state IN ('open', 'acknowledged') GROUP BY state",
  );
  const by = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  return { open: by.open ?? 0, acknowledged: by.acknowledged ?? 0 };
}

/** For auditors and admins: audit records since `since` (ix_audit_ts) and those not yet shipped to SLS. */
export async function auditFigures(
  db: Queryable,
  since: Date,
): Promise<{ today: number; unshipped: number }> {
  const t = await querySingle<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM audit_log WHERE ts >= ?', [
    since,
  ]);
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
