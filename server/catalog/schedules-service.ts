// Listing and cancelling scheduled changes. Applying them is the ScheduleWorker's job.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors.js';
import { inStoreScope, outOfScopeMessage, scopeIds } from '../core/identity.js';
import { findStore } from './stores-repo.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import * as repo from './schedules-repo.js';
import { SCHEDULE_STATES } from './states.js';

export class SchedulesService {
  constructor(private readonly pool: Pool) {}

  /** A page of the scheduled changes the actor may see, newest pending first. */
  async list(
    actor: Actor,
    f: { state?: string; storeId?: number | null; page?: number; pageSize?: number } = {},
  ) {
    const pageSize = Math.max(10, Math.min(f.pageSize || 50, 200));
    const page = Math.max(1, Math.min(f.page || 1, 100_000));
    const filter = {
      state: SCHEDULE_STATES.some((s) => s === f.state) ? f.state : undefined,
      storeId: f.storeId && inStoreScope(actor, f.storeId) ? f.storeId : null,
      scope: scopeIds(actor),
    };
    const [rows, total] = await Promise.all([
      repo.listSchedules(this.pool, { ...filter, limit: pageSize, offset: (page - 1) * pageSize }),
      repo.countSchedules(this.pool, filter),
    ]);
    return {
      rows,
      total,
      page,
      pageSize,
      pages: Math.max(1, Math.ceil(total / pageSize)),
      storeId: filter.storeId,
    };
  }

  async cancel(actor: Actor, id: string) {
    await withTx(this.pool, async (c) => {
      const s = await repo.findSchedule(c, id);
      if (!s) throw new NotFoundError('No such scheduled change.');
      if (!inStoreScope(actor, s.store_id)) {
        const store = await findStore(c, s.store_id);
        throw new ForbiddenError(outOfScopeMessage(store ?? { code: String(s.store_id) }));
      }
      if (s.state !== 'pending') throw new ConflictError(`This change is already ${s.state}.`);
      // Ending a running promotion is what keeps shelves honest; it is replaced by a new price, not cancelled.
      if (s.kind === 'promo_end')
        throw new ConflictError('A promotion end cannot be cancelled; change the price instead.');
      await repo.cancelSchedule(c, id);
      if (s.kind === 'promo_start' && s.promo_to)
        await repo.cancelPromoEnd(c, { storeId: s.store_id, productId: s.product_id }, s.promo_to);
      await appendAudit(c, actor, [
        {
          action: 'price.schedule_cancelled',
          objectType: 'price_schedule',
          objectId: id,
          refs: { schedule: id },
          before: { kind: s.kind, effectiveAt: s.effective_at, price: s.price, promoPrice: s.promo_price },
        },
      ]);
    });
  }
}
