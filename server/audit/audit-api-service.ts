// The audit trail for an auditor-scoped API key: the auditor page's question (same filters, same
// stores, newest first) a page at a time, and the evidence answer for one SKU in one store in one
// call: who changed it, when, through which task, and which labels confirmed it. The evidence is
// one audit query: confirmation records carry the store and SKUs of their labels
// (server/tasks/ack-applier.ts), so the changes and their confirmations match the same filter.
import type { PageRequest } from '../core/list-page.js';
import { encodeCursor } from '../core/list-page.js';
import { ForbiddenError, ValidationError } from '../core/errors.js';
import { outOfScopeMessage, scopeCodes, type Actor } from '../core/identity.js';
import type { AuditRecord } from './audit-chain.js';
import { parseFilter, type FilterInput } from './audit-filter.js';
import { refsOf } from './audit-plain.js';
import type { AuditQueryService } from './audit-query-service.js';

const CONFIRMED = 'task.items.confirmed';
const FAILED = 'task.items.failed';

function beforeOf(p: PageRequest<unknown>): string | null {
  if (!p.after) return null;
  const id = String(p.after[0]);
  if (!/^\d{1,19}$/.test(id))
    throw new ValidationError('Invalid paging or filter.', { cursor: 'not a cursor of this list' });
  return id;
}

function parsed(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/** The labels of a confirmation record that showed this SKU (its `after.skus`: label -> SKU). */
function labelsOfSku(r: AuditRecord, sku: string): string[] {
  const after = parsed(r.after) as { skus?: Record<string, string> } | null;
  if (after && typeof after === 'object' && after.skus && typeof after.skus === 'object')
    return Object.entries(after.skus)
      .filter(([, s]) => s === sku)
      .map(([label]) => label);
  return [];
}

export class AuditApiService {
  constructor(private readonly queries: AuditQueryService) {}

  /** `actor`: a store-scoped reader gets the records of its stores only, as on the auditor page. */
  async list(p: PageRequest<FilterInput & { source?: string }>, actor?: Actor) {
    const { source: asked, ...filters } = p.filters;
    const source = this.queries.source(asked);
    const f = { ...parseFilter(filters), stores: scopeCodes(actor?.stores) };
    const page = await this.queries.page(source, f, beforeOf(p), p.limit);
    return {
      source,
      records: page.records,
      nextCursor: page.nextBefore ? encodeCursor([page.nextBefore]) : null,
    };
  }

  async evidence(
    p: PageRequest<{ sku: string; store: string; from?: string; to?: string; source?: string }>,
    actor?: Actor,
  ) {
    const { sku, store, from, to, source: asked } = p.filters;
    // A store outside the reader's scope is refused by name, not answered empty.
    const scope = scopeCodes(actor?.stores);
    if (scope && !scope.includes(store))
      throw new ForbiddenError(outOfScopeMessage({ code: store, name: await this.queries.storeName(store) }));
    const source = this.queries.source(asked);
    const f = { ...parseFilter({ sku, store, from, to }), stores: scopeCodes(actor?.stores) };
    const page = await this.queries.page(source, f, beforeOf(p), p.limit);
    const changes = [];
    const confirmations = [];
    const failures = [];
    for (const r of page.records) {
      const refs = refsOf(r.refs);
      const taskId = refs.get('task')?.[0] ?? null;
      if (r.action === CONFIRMED || r.action === FAILED) {
        const labels = labelsOfSku(r, sku);
        if (!labels.length || !taskId) continue;
        const base = { recordId: r.id, at: r.ts, taskId, ap: refs.get('ap')?.[0] ?? r.actor, labels };
        if (r.action === CONFIRMED) confirmations.push(base);
        else {
          const after = parsed(r.after) as { error?: string } | null;
          failures.push({ ...base, error: String(after?.error ?? '') });
        }
        continue;
      }
      changes.push({
        recordId: r.id,
        at: r.ts,
        actor: r.actor,
        actorRole: r.actorRole,
        action: r.action,
        summary: r.summary,
        taskId,
        before: parsed(r.before),
        after: parsed(r.after),
      });
    }
    return {
      sku,
      store,
      source,
      changes,
      confirmations,
      failures,
      nextCursor: page.nextBefore ? encodeCursor([page.nextBefore]) : null,
    };
  }
}
