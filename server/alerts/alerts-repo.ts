// The alert rules and the alerts they raise: the only SQL of this folder besides
// conditions-repo.ts (what the rules measure).
import type { Queryable } from '../db/pool.js';

export const ALERT_KINDS = [
  'ap_offline',
  'label_battery_low',
  'mismatch_old',
  'failure_rate',
  'task_deadline',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertState = 'pending' | 'open' | 'acknowledged' | 'resolved';

export interface RuleRow {
  kind: AlertKind;
  threshold: string;
  enabled: number;
  updated_at: Date;
}

export interface AlertRow {
  id: string;
  kind: AlertKind;
  subject: string;
  state: AlertState;
  message: string;
  since: Date;
  opened_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
}

const activeKey = (kind: string, subject: string) => `${kind}:${subject}`;

export async function listRules(db: Queryable): Promise<RuleRow[]> {
  const [rows] = (await db.query(
    "SELECT * FROM alert_rules ORDER BY FIELD(kind, 'ap_offline', 'label_battery_low', 'mismatch_old', 'failure_rate', 'task_deadline')",
  )) as unknown as [RuleRow[]];
  return rows;
}

/** The rule, locked: one evaluation of a rule at a time across workers. */
export async function lockRule(db: Queryable, kind: AlertKind): Promise<RuleRow | null> {
  const [rows] = (await db.query('SELECT * FROM alert_rules WHERE kind = ? FOR UPDATE', [
    kind,
  ])) as unknown as [RuleRow[]];
  return rows[0] ?? null;
}

export async function updateRule(db: Queryable, kind: AlertKind, threshold: number, enabled: boolean) {
  await db.query(
    'UPDATE alert_rules SET threshold = ?, enabled = ?, updated_at = CURRENT_TIMESTAMP(3) WHERE kind = ?',
    [threshold, enabled ? 1 : 0, kind],
  );
}

/** The alerts of a kind that are not resolved (pending ones included). */
export async function activeOfKind(db: Queryable, kind: AlertKind): Promise<AlertRow[]> {
  const [rows] = (await db.query("SELECT * FROM alerts WHERE kind = ? AND state <> 'resolved' FOR UPDATE", [
    kind,
  ])) as unknown as [AlertRow[]];
  return rows.map(idToString);
}

export async function insertAlert(
  db: Queryable,
  a: { kind: AlertKind; subject: string; state: 'pending' | 'open'; message: string; since: Date; now: Date },
): Promise<string> {
  const [r] = (await db.query(
    `INSERT INTO alerts (kind, subject, state, active_key, message, since, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      a.kind,
      a.subject,
      a.state,
      activeKey(a.kind, a.subject),
      a.message,
      a.since,
      a.state === 'open' ? a.now : null,
    ],
  )) as unknown as [{ insertId: number }];
  return String(r.insertId);
}

export async function openAlert(db: Queryable, id: string, message: string, now: Date) {
  await db.query(
    "UPDATE alerts SET state = 'open', message = ?, opened_at = ? WHERE id = ? AND state = 'pending'",
    [message, now, id],
  );
}

export async function setMessage(db: Queryable, id: string, message: string) {
  await db.query('UPDATE alerts SET message = ? WHERE id = ?', [message, id]);
}

export async function deletePending(db: Queryable, id: string) {
  await db.query("DELETE FROM alerts WHERE id = ? AND state = 'pending'", [id]);
}

export async function resolveAlert(db: Queryable, id: string, by: string, now: Date) {
  const [r] = (await db.query(
    `UPDATE alerts SET state = 'resolved', active_key = NULL, resolved_at = ?, resolved_by = ?
      WHERE id = ? AND state IN ('open', 'acknowledged')`,
    [now, by, id],
  )) as unknown as [{ affectedRows: number }];
  return r.affectedRows;
}

export async function acknowledgeAlert(db: Queryable, id: string, by: string, now: Date) {
  const [r] = (await db.query(
    "UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND state = 'open'",
    [now, by, id],
  )) as unknown as [{ affectedRows: number }];
  return r.affectedRows;
}

export async function findAlert(db: Queryable, id: string, lock = false): Promise<AlertRow | null> {
  const [rows] = (await db.query(`SELECT * FROM alerts WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ])) as unknown as [AlertRow[]];
  return rows[0] ? idToString(rows[0]) : null;
}

/** Open and acknowledged alerts first (newest first), then the latest resolved ones. */
export async function listAlerts(db: Queryable, resolvedLimit = 50): Promise<AlertRow[]> {
  const [active] = (await db.query(
    "SELECT * FROM alerts WHERE state IN ('open', 'acknowledged') ORDER BY opened_at DESC, id DESC LIMIT 1000",
  )) as unknown as [AlertRow[]];
  const [resolved] = (await db.query(
    "SELECT * FROM alerts WHERE state = 'resolved' ORDER BY resolved_at DESC, id DESC LIMIT ?",
    [resolvedLimit],
  )) as unknown as [AlertRow[]];
  return [...active, ...resolved].map(idToString);
}

/** Open alerts (not acknowledged, not resolved): the count in the navigation. */
export async function countOpen(db: Queryable): Promise<number> {
  const [[r]] = (await db.query("SELECT COUNT(*) AS n FROM alerts WHERE state = 'open'")) as unknown as [
    [{ n: number | string }],
  ];
  return Number(r.n);
}

function idToString(r: AlertRow): AlertRow {
  return { ...r, id: String(r.id) };
}
