// Labels: created per store and Group ID (one by one or a pasted list), bound to a product
// or unbound. Binding makes the label show the product's price, so it creates a task.
import type { Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import { withTx } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { assertStoreInScope, inStoreScope, scopeIds } from '../core/identity.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import { labelIdSchema } from './schemas.js';
import * as repo from './labels-repo.js';
import { findProductBySku } from './products-repo.js';
import { findStore, listGroups, listStores } from './stores-repo.js';
import type { PriceTaskCreator } from './task-port.js';

export const MAX_LABELS_PER_REQUEST = 5000;
const bad = (fields: Record<string, string>) =>
  new ValidationError('Please correct the highlighted fields.', fields);

export class LabelsService {
  constructor(
    private readonly pool: Pool,
    private readonly tasks: PriceTaskCreator | null,
  ) {}

  /** The labels page: a page of labels (of one product, by SKU, when asked) and the store and Group ID choices. */
  async page(
    actor: Actor,
    f: { storeId?: number; sku: string; unbound: boolean; page: number; pageSize?: number },
  ) {
    const product = f.sku ? await findProductBySku(this.pool, f.sku) : null;
    const pageSize = f.pageSize || 100;
    const result =
      f.sku && !product
        ? { rows: [], total: 0, page: 1, pages: 1, pageSize }
        : await this.list(actor, {
            storeId: f.storeId,
            productId: product?.id,
            unbound: f.unbound,
            page: f.page,
            pageSize,
          });
    const scope = scopeIds(actor);
    const stores = await listStores(this.pool, scope);
    const groups = (await listGroups(this.pool)).filter(
      (g) => g.store_id !== null && inStoreScope(actor, g.store_id),
    );
    return { result, stores, groups };
  }

  /** A page of the labels the actor may see. */
  list(
    actor: Actor,
    f: { storeId?: number; productId?: number; unbound?: boolean; page: number; pageSize?: number },
  ) {
    const page = Math.max(1, f.page || 1);
    const size = f.pageSize || 100;
    return repo
      .listLabels(this.pool, { ...f, scope: scopeIds(actor), limit: size, offset: (page - 1) * size })
      .then((r) => ({ ...r, page, pageSize: size, pages: Math.max(1, Math.ceil(r.total / size)) }));
  }

  /** Creates every listed label, or none: each bad or taken id is named. */
  async create(actor: Actor, input: { storeId: number; groupId: string; labelIds: string }) {
    const ids = input.labelIds.split(/[\s,;]+/).filter(Boolean);
    if (!ids.length) throw bad({ labelIds: 'enter one or more label ids' });
    if (ids.length > MAX_LABELS_PER_REQUEST)
      throw bad({ labelIds: `at most ${MAX_LABELS_PER_REQUEST} labels at once` });
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      if (!labelIdSchema.safeParse(id).success)
        problems.push(`"${id.slice(0, 70)}" is not a label id (letters, digits, - or _)`);
      else if (seen.has(id)) problems.push(`${id} is listed twice`);
      seen.add(id);
    }
    if (problems.length)
      throw bad({
        labelIds:
          problems.slice(0, 20).join('; ') +
          (problems.length > 20 ? `; and ${problems.length - 20} more` : ''),
      });
    return withTx(this.pool, async (c) => {
      const store = await findStore(c, input.storeId);
      if (!store) throw bad({ storeId: 'choose a store' });
      assertStoreInScope(actor, store);
      if (!(await repo.groupsOfStore(c, store.id)).includes(input.groupId))
        throw bad({ groupId: `not a Group ID of store ${store.code}` });
      const taken = await repo.existingLabelIds(c, ids);
      if (taken.length)
        throw bad({
          labelIds: `already exist: ${taken.slice(0, 20).join(', ')}${taken.length > 20 ? ' ...' : ''}`,
        });
      await repo.insertLabels(c, store.id, input.groupId, ids);
      await appendAudit(c, actor, [
        {
          action: 'label.created',
          objectType: 'store',
          objectId: store.code,
          refs: { store: store.code, group: input.groupId },
          summary: `${ids.length} label(s)`,
          after: { labels: ids },
        },
      ]);
      return ids.length;
    });
  }

  async bind(actor: Actor, labelId: string, sku: string) {
    const out = await withTxRetry(this.pool, async (c) => {
      const label = await repo.findLabel(c, labelId);
      if (!label) throw new NotFoundError(`No label ${labelId}.`);
      const store = (await findStore(c, label.store_id))!;
      assertStoreInScope(actor, store);
      const product = await findProductBySku(c, sku.trim());
      if (!product) throw bad({ sku: `unknown SKU "${sku.trim().slice(0, 64)}"` });
      await repo.setBinding(c, labelId, product.id);
      const task =
        this.tasks && (await repo.hasPrice(c, store.id, product.id))
          ? await this.tasks.createInTx(c, actor, [{ storeId: store.id, productId: product.id }], {
              source: 'ui',
              note: `label ${labelId} bound`,
            })
          : null;
      await appendAudit(c, actor, [
        {
          action: 'label.bound',
          objectType: 'label',
          objectId: labelId,
          refs: { label: labelId, sku: product.sku, store: store.code, task: task?.taskId },
          before: { productId: label.product_id },
          after: { productId: product.id, sku: product.sku },
        },
      ]);
      return task;
    });
    if (out) await this.tasks!.enqueue(out.taskId);
    return out;
  }

  async unbind(actor: Actor, labelId: string) {
    await withTx(this.pool, async (c) => {
      const label = await repo.findLabel(c, labelId);
      if (!label) throw new NotFoundError(`No label ${labelId}.`);
      if (!inStoreScope(actor, label.store_id))
        assertStoreInScope(actor, (await findStore(c, label.store_id)) ?? { id: label.store_id, code: '?' });
      if (label.product_id === null) return;
      await repo.setBinding(c, labelId, null);
      await appendAudit(c, actor, [
        {
          action: 'label.unbound',
          objectType: 'label',
          objectId: labelId,
          refs: { label: labelId },
          before: { productId: label.product_id },
          after: { productId: null },
        },
      ]);
    });
  }
}
