// The auditor's questions, answered from SLS when it is configured and from the local
// MySQL store otherwise (or on request), page by page, newest first. Pages are keyed on
// record ids (`before`), so both stores give the same pages, and duplicates that
// at-least-once shipping leaves in SLS are dropped by id.
import { AppError, ValidationError } from '../core/errors.js';
import type { Pool } from '../db/pool.js';
import type { AuditRecord } from './audit-chain.js';
import type { AuditFilter } from './audit-filter.js';
import { lookupNames, type Names } from './audit-names-repo.js';
import { namesWanted } from './audit-plain.js';
import { searchLocal } from './audit-query-repo.js';
import { readAuditAfter } from './audit-repo.js';
import { readShipStatus } from './audit-ship-repo.js';
import { compareWithSls, type SlsComparison } from './audit-sls-compare.js';
import { searchSls } from './audit-sls-query.js';
import { verifyChain } from './audit-verify.js';
import { SlsError, type SlsAuditClient } from './sls-client.js';
import { MalformedLogError } from './sls-records.js';

/** SLS did not answer (or answered nonsense); the local store still can. */
export class AuditStoreUnavailableError extends AppError {
  override readonly status = 503;
  override readonly code = 'sls_unavailable';
  override name = 'AuditStoreUnavailableError';
}

export type AuditSource = 'sls' | 'local';

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

/** Whether a record names at least one store and only stores of the scope (store codes). */
export function recordInScope(r: AuditRecord, stores: string[]): boolean {
  const named = r.refs
    .split(' ')
    .filter((t) => t.startsWith('store:'))
    .map((t) => t.slice(6));
  if (r.objectType === 'store') named.push(r.objectId);
  const inScope = new Set(stores.map((s) => s.replace(/\s+/g, '_')));
  return named.length > 0 && named.every((c) => inScope.has(c));
}

export class AuditQueryService {
  constructor(
    private readonly pool: Pool,
    private readonly sls: SlsAuditClient | null,
  ) {}

  get slsInfo() {
    return this.sls
      ? { project: this.sls.sls.project, logstore: this.sls.sls.logstore, endpoint: this.sls.sls.endpoint }
      : null;
  }

  /** The store a request reads: SLS when configured, unless `local` is asked for. */
  source(asked?: string): AuditSource {
    if (asked === undefined || asked === '') return this.sls ? 'sls' : 'local';
    if (asked === 'local') return 'local';
    if (asked === 'sls' && this.sls) return 'sls';
    throw new ValidationError(
      asked === 'sls' ? 'SLS is not configured; the local store is in use.' : 'source must be sls or local.',
      {
        source: 'sls or local',
      },
    );
  }

  private async fetch(source: AuditSource, f: AuditFilter, beforeId: string | null, limit: number) {
    const rows = await this.fetchRaw(source, f, beforeId, limit);
    // The query keeps records that name a store of the scope; a record that also names a store
    // outside it is withheld as well (its refs, summary and values would tell of that store).
    // Filtering after the query keeps the pager's cursor on the last record read.
    if (!f.stores) return rows;
    const last = rows[rows.length - 1];
    const kept = rows.filter((r) => recordInScope(r, f.stores!));
    return Object.assign(kept, { cursor: last?.id ?? null, read: rows.length });
  }

  private async fetchRaw(source: AuditSource, f: AuditFilter, beforeId: string | null, limit: number) {
    if (source === 'local') return searchLocal(this.pool, f, beforeId, limit);
    try {
      return await searchSls(this.sls!, f, beforeId, limit);
    } catch (err) {
      if (!(err instanceof SlsError || err instanceof MalformedLogError)) throw err;
      throw new AuditStoreUnavailableError(
        `SLS could not be queried (${err.message}). The local store can answer the same question.`,
      );
    }
  }

  /** Up to `want` distinct records below `beforeId`, newest first. */
  private async collect(
    source: AuditSource,
    f: AuditFilter,
    beforeId: string | null,
    want: number,
  ): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    const seen = new Set<string>();
    let cursor = beforeId;
    while (out.length < want) {
      const asked = want - out.length;
      const batch: AuditRecord[] & { cursor?: string | null; read?: number } = await this.fetch(
        source,
        f,
        cursor,
        asked,
      );
      for (const r of batch) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(r);
      }
      const read = batch.read ?? batch.length;
      if (read < asked) break;
      cursor = batch.cursor ?? batch[batch.length - 1].id;
    }
    return out.slice(0, want);
  }

  async page(source: AuditSource, f: AuditFilter, beforeId: string | null, size: number): Promise<AuditPage> {
    const rows = await this.collect(source, f, beforeId, size + 1);
    return { records: rows.slice(0, size), nextBefore: rows.length > size ? rows[size - 1].id : null };
  }

  /** Every matching record, newest first, up to `max` (CSV export). */
  async *all(source: AuditSource, f: AuditFilter, max: number, chunk = 500): AsyncGenerator<AuditRecord> {
    let before: string | null = null;
    let n = 0;
    while (n < max) {
      const { records, nextBefore } = await this.page(source, f, before, Math.min(chunk, max - n));
      for (const r of records) yield r;
      n += records.length;
      if (!nextBefore) return;
      before = nextBefore;
    }
  }

  /** One record as stored in MySQL (the trail's source), or null. */
  async record(id: string, stores: string[] | null = null): Promise<AuditRecord | null> {
    const [r] = await readAuditAfter(this.pool, String(BigInt(id) - 1n), 1, id);
    if (!r) return null;
    // A store-scoped reader sees a record that names one of its stores, else it is not found.
    if (stores) {
      const named = r.refs
        .split(' ')
        .filter((t) => t.startsWith('store:'))
        .map((t) => t.slice(6));
      const own = r.objectType === 'store' ? [r.objectId] : [];
      if (![...named, ...own].some((c) => stores.some((s) => s.replace(/\s+/g, '_') === c))) return null;
    }
    return r;
  }

  /** A store's name by its code (null when there is no such store). */
  async storeName(code: string): Promise<string | null> {
    return (await lookupNames(this.pool, [], [code])).stores.get(code)?.name ?? null;
  }

  /** The product and store names a batch of records mentions, in one query. */
  names(records: AuditRecord[]): Promise<Names> {
    const { skus, stores } = namesWanted(records);
    return lookupNames(this.pool, skus, stores);
  }

  shipStatus() {
    return readShipStatus(this.pool);
  }

  verify(fromId: string, toId?: string) {
    return verifyChain(this.pool, fromId, toId);
  }

  /** Compares the shipped part of fromId..toId with SLS's copies; null without SLS. */
  async compareWithSls(fromId: string, toId: string): Promise<SlsComparison | null> {
    if (!this.sls) return null;
    const { shippedId } = await readShipStatus(this.pool);
    const upTo = BigInt(toId) < BigInt(shippedId) ? toId : shippedId;
    try {
      return await compareWithSls(this.pool, this.sls, fromId, upTo);
    } catch (err) {
      if (!(err instanceof SlsError || err instanceof MalformedLogError)) throw err;
      throw new AuditStoreUnavailableError(`SLS could not be asked for its copies (${err.message}).`);
    }
  }
}
