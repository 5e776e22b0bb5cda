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
