// The SQL of a store scope, for repos: ` AND <column> IN (...)` (nothing for every store) and its
// parameters. `ids` is what `scopeIds(actor)` (server/core/identity.ts) returns.

/** A condition to append after WHERE ...: limits `column` (a store id column) to the scope. */
export function storeScopeSql(
  column: string,
  ids: readonly number[] | null | undefined,
): { sql: string; params: unknown[] } {
  if (!ids) return { sql: '', params: [] };
  if (ids.length === 0) return { sql: ' AND FALSE', params: [] };
  return { sql: ` AND ${column} IN (?)`, params: [ids] };
}

/**
 * The condition for an alert (table alias `al`) to concern a store of the scope: its subject is
 * `store:<code>`, `task:<id>` (a task with a label there) or an AP's Client ID (an AP of a Group
 * ID of that store). Fleet-wide alerts (`fleet`) concern no single store and are left out.
 */
export function alertScopeSql(ids: readonly number[] | null | undefined): { sql: string; params: unknown[] } {
  if (!ids) return { sql: '', params: [] };
  if (ids.length === 0) return { sql: ' AND FALSE', params: [] };
  return {
    sql: ` AND ((al.subject LIKE 'store:%' AND EXISTS (SELECT 1 FROM stores ss WHERE ss.code = SUBSTRING(al.subject, 7) COLLATE utf8mb4_unicode_ci AND ss.id IN (?)))
      OR (al.subject LIKE 'task:%' AND EXISTS (SELECT 1 FROM task_items si WHERE si.task_id = SUBSTRING(al.subject, 6) AND si.store_id IN (?)))
      OR EXISTS (SELECT 1 FROM aps sa JOIN store_groups sg ON sg.group_id = sa.group_id WHERE sa.client_id = al.subject COLLATE utf8mb4_bin AND sg.store_id IN (?)))`,
    params: [ids, ids, ids],
  };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The condition for an audit record (its `refs` column, tokens like ` store:SH001 `) to name a
 * store of the scope, by store code. Records that name no store (sign-ins, registry changes) are
 * outside every scope.
 */
export function auditRefsScopeSql(codes: readonly string[] | null | undefined): {
  sql: string;
  params: unknown[];
} {
  if (!codes) return { sql: '', params: [] };
  if (codes.length === 0) return { sql: ' AND FALSE', params: [] };
  return {
    sql: ` AND (${codes.map(() => 'refs LIKE ?').join(' OR ')})`,
    params: codes.map((c) => `% store:${likeEscape(c.replace(/\s+/g, '_'))} %`),
  };
}
