// Stores and the Group IDs that serve them. A Group ID must be registered (mqtt_groups,
// the broker's registry) before it can be given to a store, and belongs to at most one store.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import {
  currencySchema,
  storeNameSchema as nameSchema,
  parseFields,
  storeCode,
  timezoneSchema,
} from './schemas.js';
import * as repo from './stores-repo.js';
import { inStoreScope, scopeIds } from '../core/identity.js';
import { clockText, parseQuietHours } from './quiet-hours-input.js';

/** A store's quiet hours as shown and answered: `{ from: "22:00", to: "07:00" }` or null. */
export const quietHoursOf = (s: { quiet_from: number | null; quiet_to: number | null }) =>
  s.quiet_from === null || s.quiet_to === null
    ? null
    : { from: clockText(s.quiet_from), to: clockText(s.quiet_to) };

const isDup = (err: unknown) => (err as { code?: string }).code === 'ER_DUP_ENTRY';

export class StoresService {
  constructor(private readonly pool: Pool) {}

  /** The stores the actor may see (every store without an actor or scope). */
  list(actor?: Actor) {
    return repo.listStores(this.pool, scopeIds(actor));
  }

  listGroups() {
    return repo.listGroups(this.pool);
  }

  /** A store; one outside the actor's scope is not found. */
  async get(id: number, actor?: Actor) {
    const s = await repo.findStore(this.pool, id);
    if (!s || !inStoreScope(actor, s.id)) throw new NotFoundError('No such store.');
    return s;
  }

  async getByCode(code: string, actor?: Actor) {
    const s = await repo.findStoreByCode(this.pool, code);
    if (!s || !inStoreScope(actor, s.id)) throw new NotFoundError(`No store ${code.slice(0, 32)}.`);
    return s;
  }

  async create(actor: Actor, input: Record<string, unknown>) {
    const v = parseFields(
      { code: storeCode, name: nameSchema, timezone: timezoneSchema, currency: currencySchema },
      input,
    );
    try {
      return await withTx(this.pool, async (c) => {
        const id = await repo.insertStore(c, v);
        await appendAudit(c, actor, [
          {
            action: 'store.created',
            objectType: 'store',
            objectId: v.code,
            refs: { store: v.code },
            after: v,
          },
        ]);
        return id;
      });
    } catch (err) {
      if (isDup(err))
        throw new ValidationError('Please correct the highlighted fields.', {
          code: 'a store with this code exists',
        });
      throw err;
    }
  }

  async update(actor: Actor, id: number, input: Record<string, unknown>) {
    const v = parseFields({ name: nameSchema, timezone: timezoneSchema, currency: currencySchema }, input);
    await withTx(this.pool, async (c) => {
      const before = await repo.findStore(c, id);
      if (!before) throw new NotFoundError('No such store.');
      await repo.updateStore(c, id, v);
      await appendAudit(c, actor, [
        {
          action: 'store.updated',
          objectType: 'store',
          objectId: before.code,
          refs: { store: before.code },
          before: { name: before.name, timezone: before.timezone, currency: before.currency },
          after: v,
        },
      ]);
    });
  }

  /**
   * Sets (or, with both empty, removes) the store's quiet hours, in its local time. Non-urgent
   * items of the store wait while they last; removing them lets waiting items go at once.
   */
  async setQuietHours(actor: Actor, id: number, input: { from?: unknown; to?: unknown }) {
    const r = parseQuietHours(input.from, input.to);
    if ('fields' in r) {
      const fields = Object.fromEntries(
        Object.entries(r.fields).map(([k, v]) => [k === 'from' ? 'quietFrom' : 'quietTo', v]),
      );
      throw new ValidationError('Please correct the highlighted fields.', fields);
    }
    return withTx(this.pool, async (c) => {
      const before = await repo.findStore(c, id);
      if (!before) throw new NotFoundError('No such store.');
      await repo.setQuietHours(c, id, r.value?.from ?? null, r.value?.to ?? null);
      const after = r.value ? { from: clockText(r.value.from), to: clockText(r.value.to) } : null;
      await appendAudit(c, actor, [
        {
          action: 'store.quiet_hours_set',
          objectType: 'store',
          objectId: before.code,
          refs: { store: before.code },
          summary: after
            ? `quiet hours of ${before.code}: ${after.from}-${after.to} (${before.timezone})`
            : `quiet hours of ${before.code} removed`,
          before: { quietHours: quietHoursOf(before), timezone: before.timezone },
          after: { quietHours: after, timezone: before.timezone },
        },
      ]);
      return { ...before, quiet_from: r.value?.from ?? null, quiet_to: r.value?.to ?? null };
    });
  }

  async assignGroup(actor: Actor, storeId: number, groupId: string) {
    await withTx(this.pool, async (c) => {
      const store = await repo.findStore(c, storeId);
      if (!store) throw new NotFoundError('No such store.');
      const g = await repo.findGroup(c, groupId.trim());
      if (!g)
        throw new ValidationError('Please correct the highlighted fields.', {
          groupId: 'not a registered Group ID',
        });
      if (g.store_id === storeId) return;
      if (g.store_id !== null)
        throw new ConflictError(`Group ID ${g.group_id} already belongs to another store.`);
      await repo.assignGroup(c, g.group_id, storeId);
      await appendAudit(c, actor, [
        {
          action: 'store.group_assigned',
          objectType: 'store',
          objectId: store.code,
          refs: { store: store.code, group: g.group_id },
        },
      ]);
    });
  }

  async unassignGroup(actor: Actor, storeId: number, groupId: string) {
    await withTx(this.pool, async (c) => {
      const store = await repo.findStore(c, storeId);
      if (!store) throw new NotFoundError('No such store.');
      // Labels name their Group ID; taking it away would orphan them.
      const n = await repo.countLabelsInGroup(c, groupId);
      if (n > 0) throw new ConflictError(`${n} label(s) use Group ID ${groupId}; move or delete them first.`);
      if (!(await repo.unassignGroup(c, groupId, storeId)))
        throw new NotFoundError('That Group ID does not belong to this store.');
      await appendAudit(c, actor, [
        {
          action: 'store.group_unassigned',
          objectType: 'store',
          objectId: store.code,
          refs: { store: store.code, group: groupId },
        },
      ]);
    });
  }
}
