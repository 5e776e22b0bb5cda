// The catalog's write API for ERPs and installers: create a store and give it Group IDs,
// upsert products in bulk, create and bind labels in bulk. Every bulk call is checked whole
// first (each bad entry named as `items[i].field`) and then written in one transaction with its
// audit records, or not at all. Changes that alter what labels show create one task.
import type { z } from 'zod';
import type { Actor, AuditEvent } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ValidationError } from '../core/errors.js';
import { withTxRetry } from '../db/tx-retry.js';
import type { Pool } from '../db/pool.js';
import {
  GroupAssignRequest,
  ItemsEnvelope,
  LabelCreateItem,
  ProductUpsertItem,
  QuietHoursRequest,
  StoreCreateRequest,
} from './api-bulk-schemas.js';
import * as labelsRepo from './labels-repo.js';
import { pricedPairsOfProducts, storesPricingOutsideMany } from './prices-repo.js';
import { inStoreScope, outOfScopeMessage, scopeIds } from '../core/identity.js';
import { lockProductsBySkus, upsertProducts, findProductsBySkus } from './products-repo.js';
import { findStoreByCode, findStoresByCodes } from './stores-repo.js';
import { quietHoursOf, type StoresService } from './stores-service.js';
import type { PriceTaskCreator } from './task-port.js';

export type Fields = Record<string, string>;
const fieldKey = (prefix: string, path: PropertyKey[]) =>
  `${prefix}${path.length ? `${prefix ? '.' : ''}${path.map(String).join('.')}` : ''}` || 'body';

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const fields: Fields = {};
  for (const i of r.error.issues) fields[fieldKey('', i.path)] ??= i.message;
  throw new ValidationError(`The ${what} is invalid; nothing was written.`, fields);
}

/** Checks the envelope, then every entry on its own, so one answer names every bad entry. */
export function parseItems<T extends z.ZodType>(
  schema: T,
  body: unknown,
): { items: z.output<T>[]; fields: Fields } {
  const env = parse(ItemsEnvelope, body, 'request');
  const fields: Fields = {};
  const items: z.output<T>[] = [];
  env.items.forEach((raw, index) => {
    const r = schema.safeParse(raw);
    if (r.success) items[index] = r.data;
    else for (const i of r.error.issues) fields[fieldKey(`items[${index}]`, i.path)] ??= i.message;
  });
  return { items, fields };
}

export function fail(fields: Fields) {
  const bad = new Set(Object.keys(fields).map((k) => k.split('.')[0]));
  return new ValidationError(`${bad.size} item(s) are invalid; nothing was written.`, fields);
}

export function dupes<T>(items: T[], key: (t: T) => string, field: string, fields: Fields) {
  const first = new Map<string, number>();
  items.forEach((it, i) => {
    if (!it) return;
    const k = key(it);
    const j = first.get(k);
    if (j === undefined) first.set(k, i);
    else fields[`items[${i}].${field}`] ??= `repeats items[${j}].${field}`;
  });
}

export class CatalogBulkService {
  constructor(
    private readonly pool: Pool,
    private readonly stores: StoresService,
    private readonly tasks: PriceTaskCreator | null,
  ) {}

  private async storeJson(code: string) {
    const s = await findStoreByCode(this.pool, code);
    if (!s) return null;
    const groups = (await labelsRepo.groupsOfStores(this.pool, [s.id])).get(s.id) ?? [];
    return {
      code: s.code,
      name: s.name,
      timeZone: s.timezone,
      currency: s.currency,
      groups,
      quietHours: quietHoursOf(s),
    };
  }

  async setQuietHours(actor: Actor, storeCode: string, body: unknown) {
    const v = parse(QuietHoursRequest, body, 'request');
    const store = await this.stores.getByCode(storeCode);
    try {
      await this.stores.setQuietHours(actor, store.id, v);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const rename: Record<string, string> = { quietFrom: 'from', quietTo: 'to' };
      throw new ValidationError(
        err.message,
        Object.fromEntries(Object.entries(err.fields).map(([k, m]) => [rename[k] ?? k, m])),
      );
    }
    return (await this.storeJson(store.code))!;
  }

  async createStore(actor: Actor, body: unknown) {
    const v = parse(StoreCreateRequest, body, 'store');
    await this.stores.create(actor, {
      code: v.code,
      name: v.name,
      timezone: v.timeZone,
      currency: v.currency ?? 'CNY',
    });
    return (await this.storeJson(v.code))!;
  }

  async assignGroup(actor: Actor, storeCode: string, body: unknown) {
    const v = parse(GroupAssignRequest, body, 'request');
    const store = await this.stores.getByCode(storeCode, actor);
    await this.stores.assignGroup(actor, store.id, v.groupId);
    return (await this.storeJson(store.code))!;
  }

  async upsertProducts(actor: Actor, body: unknown) {
    const { items, fields } = parseItems(ProductUpsertItem, body);
    dupes(items, (p) => p.sku, 'sku', fields);
    if (Object.keys(fields).length) throw fail(fields);
    // A product is shared by the stores that price it: a scoped caller may not change one that
    // a store outside its scope prices (creating new products is fine).
    const scope = scopeIds(actor);
    if (scope) {
      const known = await findProductsBySkus(
        this.pool,
        items.map((p) => p.sku),
      );
      const outside = await storesPricingOutsideMany(
        this.pool,
        known.map((p) => p.id),
        scope,
      );
      items.forEach((p, i) => {
        const k = known.find((x) => x.sku === p.sku);
        const st = k && outside.get(k.id);
        const changes =
          k &&
          (k.name !== p.name || (p.unit && p.unit !== k.unit) || (p.currency && p.currency !== k.currency));
        if (st && changes) fields[`items[${i}].sku`] ??= `${outOfScopeMessage(st)} It prices this product.`;
      });
      if (Object.keys(fields).length) throw fail(fields);
    }

    const out = await withTxRetry(this.pool, async (c) => {
      const existing = new Map(
        (
          await lockProductsBySkus(
            c,
            items.map((p) => p.sku),
          )
        ).map((p) => [p.sku, p]),
      );
      const rows: { sku: string; name: string; unit: string; currency: string }[] = [];
      const events: AuditEvent[] = [];
      const changedIds: number[] = [];
      let created = 0;
      let updated = 0;
      for (const p of items) {
        const before = existing.get(p.sku);
        const after = {
          sku: p.sku,
          name: p.name,
          unit: p.unit ?? before?.unit ?? 'pcs',
          currency: p.currency ?? before?.currency ?? 'CNY',
        };
        if (!before) {
          created++;
          rows.push(after);
          events.push({
            action: 'product.created',
            objectType: 'product',
            objectId: p.sku,
            refs: { sku: p.sku },
            after,
          });
        } else if (
          before.name !== after.name ||
          before.unit !== after.unit ||
          before.currency !== after.currency
        ) {
          updated++;
          rows.push(after);
          changedIds.push(before.id);
          events.push({
            action: 'product.updated',
            objectType: 'product',
            objectId: p.sku,
            refs: { sku: p.sku },
            before: { name: before.name, unit: before.unit, currency: before.currency },
            after: { name: after.name, unit: after.unit, currency: after.currency },
          });
        }
      }
      await upsertProducts(c, rows);
      // What a label shows includes the name and currency: labels of changed, priced products are re-sent.
      const pairs = await pricedPairsOfProducts(c, changedIds);
      const task =
        this.tasks && pairs.length
          ? await this.tasks.createInTx(c, actor, pairs, {
              source: 'api',
              note: `API: ${updated} product(s) updated`,
            })
          : null;
      if (task)
        for (const e of events) if (e.action === 'product.updated') e.refs = { ...e.refs, task: task.taskId };
      if (events.length) await appendAudit(c, actor, events);
      return { created, updated, unchanged: items.length - created - updated, taskId: task?.taskId ?? null };
    });
    if (out.taskId) await this.tasks!.enqueue(out.taskId);
    const { taskId, ...counts } = out;
    return { ...counts, taskIds: taskId ? [taskId] : [] };
  }

  async createLabels(actor: Actor, body: unknown) {
    const { items, fields } = parseItems(LabelCreateItem, body);
    dupes(items, (l) => l.labelId, 'labelId', fields);
    // Stores, their Group IDs and products are read first so that every unknown one is named.
    const stores = new Map(
      (await findStoresByCodes(this.pool, [...new Set(items.filter(Boolean).map((l) => l.store))])).map(
        (s) => [s.code, s],
      ),
    );
    const groups = await labelsRepo.groupsOfStores(
      this.pool,
      [...stores.values()].map((s) => s.id),
    );
    const skus = [...new Set(items.filter((l) => l?.sku).map((l) => l.sku!))];
    const products = new Map((await findProductsBySkus(this.pool, skus)).map((p) => [p.sku, p]));
    const groupOf: string[] = [];
    items.forEach((l, i) => {
      if (!l) return;
      const s = stores.get(l.store);
      if (!s) {
        fields[`items[${i}].store`] ??= `unknown store "${l.store}"`;
        return;
      }
      if (!inStoreScope(actor, s.id)) {
        fields[`items[${i}].store`] ??= outOfScopeMessage(s);
        return;
      }
      const gs = groups.get(s.id) ?? [];
      if (l.groupId) {
        if (!gs.includes(l.groupId)) fields[`items[${i}].groupId`] ??= `not a Group ID of store ${s.code}`;
        else groupOf[i] = l.groupId;
      } else if (gs.length === 1) groupOf[i] = gs[0];
      else
        fields[`items[${i}].groupId`] ??= gs.length
          ? `store ${s.code} has ${gs.length} Group IDs (${gs.join(', ')}): name one`
          : `store ${s.code} has no Group ID yet: assign one first (POST /api/v1/stores/${s.code}/groups)`;
      if (l.sku && !products.has(l.sku)) fields[`items[${i}].sku`] ??= `unknown SKU "${l.sku}"`;
    });
    if (Object.keys(fields).length) throw fail(fields);

    const out = await withTxRetry(this.pool, async (c) => {
      const existing = new Map(
        (
          await labelsRepo.lockLabels(
            c,
            items.map((l) => l.labelId),
          )
        ).map((l) => [l.label_id, l]),
      );
      const problems: Fields = {};
      const toCreate = new Map<
        string,
        { storeId: number; storeCode: string; groupId: string; ids: string[] }
      >();
      const toBind = new Map<number, string[]>();
      const events: AuditEvent[] = [];
      const bound: { labelId: string; sku: string; store: string; before: number | null }[] = [];
      items.forEach((l, i) => {
        const s = stores.get(l.store)!;
        const had = existing.get(l.labelId);
        if (had && had.store_id !== s.id) {
          problems[`items[${i}].labelId`] = `label ${l.labelId} exists in another store`;
          return;
        }
        if (!had) {
          const k = `${s.id}|${groupOf[i]}`;
          const e = toCreate.get(k) ?? { storeId: s.id, storeCode: s.code, groupId: groupOf[i], ids: [] };
          e.ids.push(l.labelId);
          toCreate.set(k, e);
        }
        if (l.sku) {
          const p = products.get(l.sku)!;
          if (had?.product_id === p.id) return;
          (toBind.get(p.id) ?? toBind.set(p.id, []).get(p.id)!).push(l.labelId);
          bound.push({ labelId: l.labelId, sku: l.sku, store: s.code, before: had?.product_id ?? null });
        }
      });
      if (Object.keys(problems).length) throw fail(problems);

      for (const g of toCreate.values()) {
        await labelsRepo.insertLabels(c, g.storeId, g.groupId, g.ids);
        events.push({
          action: 'label.created',
          objectType: 'store',
          objectId: g.storeCode,
          refs: { store: g.storeCode, group: g.groupId },
          summary: `${g.ids.length} label(s)`,
          after: { labels: g.ids },
        });
      }
      for (const [productId, ids] of toBind) await labelsRepo.bindLabels(c, productId, ids);
      const pairs = new Map<string, { storeId: number; productId: number }>();
      for (const b of bound) {
        const storeId = stores.get(b.store)!.id;
        const productId = products.get(b.sku)!.id;
        pairs.set(`${storeId}|${productId}`, { storeId, productId });
      }
      const priced = await labelsRepo.pricedPairs(c, [...pairs.values()]);
      const task =
        this.tasks && priced.length
          ? await this.tasks.createInTx(c, actor, priced, {
              source: 'api',
              note: `API: ${bound.length} label(s) bound`,
            })
          : null;
      for (const b of bound)
        events.push({
          action: 'label.bound',
          objectType: 'label',
          objectId: b.labelId,
          refs: { label: b.labelId, sku: b.sku, store: b.store, task: task?.taskId },
          before: { productId: b.before },
          after: { productId: products.get(b.sku)!.id, sku: b.sku },
        });
      if (events.length) await appendAudit(c, actor, events);
      const created = [...toCreate.values()].reduce((n, g) => n + g.ids.length, 0);
      return { created, bound: bound.length, taskId: task?.taskId ?? null };
    });
    if (out.taskId) await this.tasks!.enqueue(out.taskId);
    const { taskId, ...counts } = out;
    return { ...counts, taskIds: taskId ? [taskId] : [] };
  }
}
