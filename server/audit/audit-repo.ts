// The audit trail's SQL. appendAudit runs inside the caller's transaction, as its
// last statement: it takes the chain head's row lock, which is held until commit.
import type { Queryable } from '../db/pool.js';
import { chainHash, formatRefs, type Actor, type AuditEvent, type AuditRecord } from './audit-chain.js';
import { execute, queryRows, querySingle } from '../db/query.js';

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export async function appendAudit(
  conn: Queryable,
  actor: Actor,
  events: AuditEvent[],
  now = new Date(),
): Promise<AuditRecord[]> {
  return appendAuditMany(
    conn,
    events.map((event) => ({ actor, event })),
    now,
  );
}

/**
 * Like appendAudit, for records of several actors (e.g. one per AP in an ack batch): one head
 * lock, one INSERT and one head UPDATE for all of them, instead of three statements per actor.
 */
export async function appendAuditMany(
  conn: Queryable,
  entries: { actor: Actor; event: AuditEvent }[],
  now = new Date(),
): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  const head = await querySingle<{ last_id: string; last_hash: string }>(
    conn,
    'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE',
  );
  let prev = head.last_hash;
  let id = BigInt(head.last_id);
  const ts = now.toISOString();
  const records: AuditRecord[] = entries.map(({ actor, event: e }) => {
    id += 1n;
    const base = {
      id: id.toString(),
      ts,
      actor: actor.name.slice(0, 128),
      actorRole: actor.role,
      action: e.action,
      objectType: e.objectType,
      objectId: String(e.objectId).slice(0, 190),
      refs: formatRefs(e.refs),
      summary: (e.summary ?? '').slice(0, 1024),
      before: json(e.before),
      after: json(e.after),
      requestId: actor.requestId ?? null,
      ip: actor.ip ?? null,
    };
    const hash = chainHash(prev, base);
    const rec = { ...base, prevHash: prev, hash };
    prev = hash;
    return rec;
  });
  await execute(
    conn,
    `INSERT INTO audit_log (id, ts, actor, actor_role, action, object_type, object_id, refs, summary,
       before_json, after_json, request_id, ip, prev_hash, hash) VALUES ?`,
    [
      records.map((r) => [
        r.id,
        now,
        r.actor,
        r.actorRole,
        r.action,
        r.objectType,
        r.objectId,
        r.refs,
        r.summary,
        r.before,
        r.after,
        r.requestId,
        r.ip,
        r.prevHash,
        r.hash,
      ]),
    ],
  );
  await execute(conn, 'UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1', [
    id.toString(),
    prev,
  ]);
  return records;
}

export interface AuditRow {
  id: string;
  ts: Date;
  actor: string;
  actor_role: string;
  action: string;
  object_type: string;
  object_id: string;
  refs: string;
  summary: string;
  before_json: string | null;
  after_json: string | null;
  request_id: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

export function rowToRecord(r: AuditRow): AuditRecord {
  return {
    id: String(r.id),
    ts: r.ts.toISOString(),
    actor: r.actor,
    actorRole: r.actor_role,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    refs: r.refs,
    summary: r.summary,
    before: r.before_json,
    after: r.after_json,
    requestId: r.request_id,
    ip: r.ip,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Records with id > afterId in id order (the shipper's and the chain check's read). */
export async function readAuditAfter(
  db: Queryable,
  afterId: string,
  limit: number,
  toId?: string,
): Promise<AuditRecord[]> {
  const rows = await queryRows<AuditRow>(
    db,
    `SELECT * FROM audit_log WHERE id > ? ${toId ? 'AND id <= ?' : ''} ORDER BY id LIMIT ?`,
    toId ? [afterId, toId, limit] : [afterId, limit],
  );
  return rows.map(rowToRecord);
}

/** The newest record's id and hash, as appendAudit left them. */
export async function readChainHead(db: Queryable): Promise<{ lastId: string; lastHash: string }> {
  const row = await querySingle<{ last_id: string; last_hash: string }>(
    db,
    'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1',
  );
  return { lastId: String(row.last_id), lastHash: row.last_hash };
}
