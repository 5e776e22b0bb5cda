// SQL of the alerts: the rules, the alerts themselves, and each rule's condition.
import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { alertScopeSql } from '../db/store-scope.js';
import { Where, type PageRequest } from '../core/list-page.js';
import { CONTENT_HASH_SQL, EXPECTED_IMAGE_SQL } from '../tasks/content-hash-repo.js';
import type { AlertKind } from './alert-kinds.js';

export interface AlertRule {
  kind: AlertKind;
  threshold: number;
  enabled: boolean;
}

export async function listRules(db: Queryable, forUpdate = false): Promise<AlertRule[]> {
  const rows = await queryRows<{ kind: AlertKind; threshold: string; enabled: number }>(
    db,
    `SELECT kind, threshold, enabled FROM alert_rules ORDER BY kind ${forUpdate ? 'FOR UPDATE' : ''}`,
  );
  return rows.map((r) => ({
    kind: r.kind,
    threshold: Number(r.threshold),
    enabled: Number(r.enabled) === 1,
  }));
}

export async function updateRule(db: Queryable, r: AlertRule): Promise<void> {
  await execute(db, 'UPDATE alert_rules SET threshold = ?, enabled = ? WHERE kind = ?', [
    r.threshold.toFixed(2),
    r.enabled ? 1 : 0,
    r.kind,
  ]);
}

export interface AlertRow {
  id: string;
  kind: AlertKind;
  subject: string;
  state: string;
  summary: string;
  openedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

const COLS = `id, kind, subject, state, summary, opened_at AS openedAt, acknowledged_at AS acknowledgedAt,
  acknowledged_by AS acknowledgedBy, resolved_at AS resolvedAt, resolved_by AS resolvedBy`;
const fix = (r: AlertRow): AlertRow => ({ ...r, id: String(r.id) });

export interface AlertFilter {
  states: string[];
  kind?: string;
  /** Store ids of the reader's scope (alerts about those stores, their APs and tasks); null = all. */
  scope?: readonly number[] | null;
}

export async function listAlerts(
  db: Queryable,
  f: AlertFilter & { limit: number; offset: number },
): Promise<AlertRow[]> {
  const sc = alertScopeSql(f.scope);
  const rows = await queryRows<AlertRow>(
    db,
    `SELECT ${COLS} FROM alerts al WHERE state IN (?)${f.kind ? ' AND kind = ?' : ''}${sc.sql} ORDER BY id DESC LIMIT ? OFFSET ?`,
    [f.states, ...(f.kind ? [f.kind] : []), ...sc.params, f.limit, f.offset],
  );
  return rows.map(fix);
}

export async function countAlerts(db: Queryable, f: AlertFilter): Promise<number> {
  const sc = alertScopeSql(f.scope);
  const r = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(*) AS n FROM alerts al WHERE state IN (?)${f.kind ? ' AND kind = ?' : ''}${sc.sql}`,
    [f.states, ...(f.kind ? [f.kind] : []), ...sc.params],
  );
  return Number(r.n);
}

/** The stores an alert concerns: its store, its AP's store, or its task's stores (none for fleet alerts). */
export async function alertStores(db: Queryable, subject: string) {
  return queryRows<{ id: number; code: string; name: string }>(
    db,
    `SELECT s.id, s.code, s.name FROM stores s WHERE
       (? LIKE 'store:%' AND s.code = SUBSTRING(?, 7))
       OR (? LIKE 'task:%' AND s.id IN (SELECT i.store_id FROM task_items i WHERE i.task_id = SUBSTRING(?, 6)))
       OR s.id IN (SELECT sg.store_id FROM aps a JOIN store_groups sg ON sg.group_id = a.group_id WHERE a.client_id = ?)
     ORDER BY s.code`,
    [subject, subject, subject, subject, subject],
  );
}

export async function unresolvedAlerts(db: Queryable): Promise<AlertRow[]> {
  const rows = await queryRows<AlertRow>(
    db,
    `SELECT ${COLS} FROM alerts WHERE state IN ('open', 'acknowledged') ORDER BY id FOR UPDATE`,
  );
  return rows.map(fix);
}

export async function findAlert(db: Queryable, id: string): Promise<AlertRow | null> {
  const row = await queryOne<AlertRow>(db, `SELECT ${COLS} FROM alerts WHERE id = ? FOR UPDATE`, [id]);
  return row ? fix(row) : null;
}

export async function countUnresolved(db: Queryable): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    "SELECT COUNT(*) AS n FROM alerts WHERE state IN ('open', 'acknowledged')",
  );
  return Number(r.n);
}

export async function openAlert(
  db: Queryable,
  a: { kind: string; subject: string; summary: string },
): Promise<string> {
  const res = await execute(
    db,
    "INSERT INTO alerts (kind, subject, state, summary, active_key) VALUES (?, ?, 'open', ?, ?)",
    [a.kind, a.subject.slice(0, 190), a.summary.slice(0, 512), `${a.kind}|${a.subject}`.slice(0, 230)],
  );
  return String(res.insertId);
}

export async function setSummary(db: Queryable, id: string, summary: string): Promise<void> {
  await execute(db, 'UPDATE alerts SET summary = ? WHERE id = ?', [summary.slice(0, 512), id]);
}

export async function acknowledge(db: Queryable, id: string, by: string): Promise<void> {
  await execute(
    db,
    "UPDATE alerts SET state = 'acknowledged', acknowledged_at = NOW(3), acknowledged_by = ? WHERE id = ? AND state = 'open'",
    [by, id],
  );
}

export async function resolve(db: Queryable, id: string, by: string): Promise<void> {
  await execute(
    db,
    "UPDATE alerts SET state = 'resolved', resolved_at = NOW(3), resolved_by = ?, active_key = NULL WHERE id = ? AND state <> 'resolved'",
    [by, id],
  );
}

// ---- conditions: each returns the subjects that fire, with a summary ----

export interface Firing {
  subject: string;
  summary: string;
}

export async function apsOfflineLongerThan(db: Queryable, minutes: number): Promise<Firing[]> {
  const rows = await queryRows<{ clientId: string; since: Date; reason: string | null }>(
    db,
    `SELECT client_id AS clientId, disconnected_at AS since, disconnect_reason AS reason FROM aps
     WHERE online = 0 AND disconnected_at <= NOW(3) - INTERVAL ? MICROSECOND ORDER BY client_id LIMIT 1000`,
    [Math.round(minutes * 60_000_000)],
  );
  return rows.map((r) => ({
    subject: r.clientId,
    summary: `AP ${r.clientId} offline since ${r.since.toISOString()}${r.reason ? ` (${r.reason})` : ''}`,
  }));
}

export async function storesWithLowBattery(db: Queryable, mv: number): Promise<Firing[]> {
  const rows = await queryRows<{ id: number; code: string; n: string }>(
    db,
    `SELECT s.id, s.code, COUNT(*) AS n FROM labels l JOIN stores s ON s.id = l.store_id
     WHERE l.battery_mv < ? GROUP BY s.id, s.code ORDER BY s.code LIMIT 1000`,
    [mv],
  );
  return rows.map((r) => ({
    subject: `store:${r.code}`,
    summary: `${r.n} label(s) of store ${r.code} below ${mv} mV`,
  }));
}

export async function storesWithOldMismatches(db: Queryable, minutes: number): Promise<Firing[]> {
  const rows = await queryRows<{ id: number; code: string; n: string }>(
    db,
    `SELECT s.id, s.code, COUNT(*) AS n FROM labels l
     JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
     JOIN products pr ON pr.id = l.product_id JOIN stores s ON s.id = l.store_id
     WHERE l.displayed_hash IS NOT NULL AND l.displayed_hash <> ${CONTENT_HASH_SQL}
       AND l.displayed_hash <> COALESCE(${EXPECTED_IMAGE_SQL}, '')
       AND p.updated_at <= NOW(3) - INTERVAL ? MICROSECOND
       AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.label_id = l.label_id AND i.state IN ('pending', 'sent', 'failed'))
     GROUP BY s.id, s.code ORDER BY s.code LIMIT 1000`,
    [Math.round(minutes * 60_000_000)],
  );
  return rows.map((r) => ({
    subject: `store:${r.code}`,
    summary: `${r.n} label(s) of store ${r.code} show another price for over ${minutes} min, no task on its way`,
  }));
}

/** Labels decided (confirmed or timed out) by tasks that ended in the last hour. */
export async function lastHourOutcome(db: Queryable): Promise<{ confirmed: number; timedOut: number }> {
  const r = await querySingle<{ c: string; t: string }>(
    db,
    `SELECT COALESCE(SUM(items_confirmed), 0) AS c, COALESCE(SUM(items_timed_out), 0) AS t FROM tasks
     WHERE finished_at >= NOW(3) - INTERVAL 1 HOUR AND items_total IS NOT NULL`,
  );
  return { confirmed: Number(r.c), timedOut: Number(r.t) };
}

/** A keyset page of alerts, newest first (GET /api/v1/alerts), within a store scope (null = all). */
export async function pageAlerts(
  db: Queryable,
  p: PageRequest<{ state?: string; kind?: string }>,
  scope: readonly number[] | null,
): Promise<AlertRow[]> {
  const sc = alertScopeSql(scope);
  const w = new Where()
    .eq('state', p.filters.state)
    .eq('kind', p.filters.kind)
    .add(sc.sql.replace(/^ AND /, '') || null, ...sc.params);
  const tail = w.page('id', p, 'DESC');
  const rows = await queryRows<AlertRow>(db, `SELECT ${COLS} FROM alerts al ${w.sql} ${tail}`, w.params);
  return rows.map(fix);
}
