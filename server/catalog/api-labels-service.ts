// Labels over the API after they exist: unbind and move (to another store and Group ID and/or
// another product), in bulk. Each call is checked whole first (every bad entry named as
// items[i].field), then written in one transaction with one audit record per label, or not at
// all. A label that ends bound to a priced product in its (new) store gets its content in one task.
import type { Actor, AuditEvent } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { inStoreScope, outOfScopeMessage } from '../core/identity.js';
import type { Pool, Queryable } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import { LabelMoveItem, LabelUnbindItem } from './api-bulk-schemas.js';
import { dupes, fail, parseItems, type Fields } from './api-bulk-service.js';
import * as labelsRepo from './labels-repo.js';
import { findProductsBySkus } from './products-repo.js';
import { findStore, findStoresByCodes } from './stores-repo.js';
import type { PriceTaskCreator } from './task-port.js';

/** The refusal of a label in a store outside the actor's scope, naming the store. */
async function outOfScope(db: Queryable, storeId: number) {
  return outOfScopeMessage((await findStore(db, storeId)) ?? { code: String(storeId) });
}

export class CatalogLabelsApiService {
  constructor(
    private readonly pool: Pool,
    private readonly tasks: PriceTaskCreator | null,
  ) {}

  async unbind(actor: Actor, body: unknown) {
    const { items, fields } = parseItems(LabelUnbindItem, body);
    dupes(items, (l) => l.labelId, 'labelId', fields);
    if (Object.keys(fields).length) throw fail(fields);
    const ids = items.map((l) => l.labelId);
    return withTxRetry(this.pool, async (c) => {
      const found = new Map((await labelsRepo.lockLabels(c, ids)).map((l) => [l.label_id, l]));
      const problems: Fields = {};
      for (const [i, id] of ids.entries()) {
        const l = found.get(id);
        if (!l) problems[`items[${i}].labelId`] = `no label ${id}`;
        else if (!inStoreScope(actor, l.store_id))
          problems[`items[${i}].labelId`] = await outOfScope(c, l.store_id);
      }
      if (Object.keys(problems).length) throw fail(problems);
      const bound = [...found.values()].filter((l) => l.product_id !== null);
      const codes = await labelsRepo.storeCodes(c, [...new Set(bound.map((l) => l.store_id))]);
      const skus = await labelsRepo.skusOf(c, [...new Set(bound.map((l) => l.product_id!))]);
      await labelsRepo.unbindLabels(
        c,
        bound.map((l) => l.label_id),
      );
      const events: AuditEvent[] = bound.map((l) => ({
        action: 'label.unbound',
        objectType: 'label',
        objectId: l.label_id,
        refs: { label: l.label_id, sku: skus.get(l.product_id!), store: codes.get(l.store_id) },
        before: { productId: l.product_id, sku: skus.get(l.product_id!) },
        after: { productId: null },
      }));
      if (events.length) await appendAudit(c, actor, events);
      return { unbound: bound.length, unchanged: ids.length - bound.length };
    });
  }

  async move(actor: Actor, body: unknown) {
    const { items, fields } = parseItems(LabelMoveItem, body);
    dupes(items, (l) => l.labelId, 'labelId', fields);
    items.forEach((l, i) => {
      if (l && l.store === undefined && l.groupId === undefined && l.sku === undefined)
        fields[`items[${i}]`] ??= 'give store, groupId or sku';
    });
    const stores = new Map(
      (
        await findStoresByCodes(this.pool, [...new Set(items.filter((l) => l?.store).map((l) => l.store!))])
      ).map((s) => [s.code, s]),
    );
    const skus = [...new Set(items.filter((l) => l?.sku).map((l) => l.sku!))];
    const products = new Map((await findProductsBySkus(this.pool, skus)).map((p) => [p.sku, p]));
    items.forEach((l, i) => {
      if (!l) return;
      const to = l.store ? stores.get(l.store) : undefined;
      if (l.store && !to) fields[`items[${i}].store`] ??= `unknown store "${l.store}"`;
      else if (to && !inStoreScope(actor, to.id)) fields[`items[${i}].store`] ??= outOfScopeMessage(to);
      if (l.sku && !products.has(l.sku)) fields[`items[${i}].sku`] ??= `unknown SKU "${l.sku}"`;
    });
    if (Object.keys(fields).length) throw fail(fields);

    const out = await withTxRetry(this.pool, async (c) => {
      const found = new Map(
        (
          await labelsRepo.lockLabels(
            c,
            items.map((l) => l.labelId),
          )
        ).map((l) => [l.label_id, l]),
      );
      const problems: Fields = {};
      const storeIds = new Set<number>([...stores.values()].map((s) => s.id));
      for (const l of found.values()) storeIds.add(l.store_id);
      const groups = await labelsRepo.groupsOfStores(c, [...storeIds]);
      const codes = await labelsRepo.storeCodes(c, [...storeIds]);
      const oldSkus = await labelsRepo.skusOf(c, [
        ...new Set([...found.values()].filter((l) => l.product_id !== null).map((l) => l.product_id!)),
      ]);
      // a label of a store outside the actor's scope is not its to move
      const refused = new Map<number, string>();
      for (const l of found.values())
        if (!inStoreScope(actor, l.store_id) && !refused.has(l.store_id))
          refused.set(l.store_id, await outOfScope(c, l.store_id));
      const moves: Parameters<typeof labelsRepo.moveLabels>[1] = [];
      const events: AuditEvent[] = [];
      const targets = new Map<string, { storeId: number; productId: number }>();
      let moved = 0;
      let rebound = 0;
      items.forEach((l, i) => {
        const had = found.get(l.labelId);
        if (!had) {
          problems[`items[${i}].labelId`] = `no label ${l.labelId}`;
          return;
        }
        const refusal = refused.get(had.store_id);
        if (refusal) {
          problems[`items[${i}].labelId`] = refusal;
          return;
        }
        const storeId = l.store ? stores.get(l.store)!.id : had.store_id;
        const code = codes.get(storeId)!;
        const gs = groups.get(storeId) ?? [];
        let groupId: string;
        if (l.groupId) {
          if (!gs.includes(l.groupId)) {
            problems[`items[${i}].groupId`] = `not a Group ID of store ${code}`;
            return;
          }
          groupId = l.groupId;
        } else if (storeId === had.store_id) groupId = had.group_id;
        else if (gs.length === 1) groupId = gs[0];
        else {
          problems[`items[${i}].groupId`] = gs.length
            ? `store ${code} has ${gs.length} Group IDs (${gs.join(', ')}): name one`
            : `store ${code} has no Group ID yet: assign one first (POST /api/v1/stores/${code}/groups)`;
          return;
        }
        const productId =
          l.sku === undefined ? had.product_id : l.sku === null ? null : products.get(l.sku)!.id;
        const place = storeId !== had.store_id || groupId !== had.group_id;
        const rebind = productId !== had.product_id;
        if (!place && !rebind) return;
        if (place) moved++;
        if (rebind) rebound++;
        moves.push({ labelId: l.labelId, storeId, groupId, productId, rebind });
        if (productId !== null) targets.set(`${storeId}|${productId}`, { storeId, productId });
        const sku = productId === null ? null : (l.sku ?? oldSkus.get(productId) ?? null);
        events.push({
          action: place ? 'label.moved' : productId === null ? 'label.unbound' : 'label.bound',
          objectType: 'label',
          objectId: l.labelId,
          refs: { label: l.labelId, sku: sku ?? oldSkus.get(had.product_id ?? -1), store: code },
          before: {
            store: codes.get(had.store_id),
            groupId: had.group_id,
            productId: had.product_id,
            sku: had.product_id === null ? null : (oldSkus.get(had.product_id) ?? null),
          },
          after: { store: code, groupId, productId, sku },
        });
      });
      if (Object.keys(problems).length) throw fail(problems);
      await labelsRepo.moveLabels(c, moves);
      const priced = await labelsRepo.pricedPairs(c, [...targets.values()]);
      const task =
        this.tasks && priced.length
          ? await this.tasks.createInTx(c, actor, priced, {
              source: 'api',
              note: `API: ${moves.length} label(s) moved or rebound`,
            })
          : null;
      if (task) for (const e of events) e.refs = { ...e.refs, task: task.taskId };
      if (events.length) await appendAudit(c, actor, events);
      return { moved, rebound, unchanged: items.length - moves.length, taskId: task?.taskId ?? null };
    });
    if (out.taskId) await this.tasks!.enqueue(out.taskId);
    const { taskId, ...counts } = out;
    return { ...counts, taskIds: taskId ? [taskId] : [] };
  }
}
