// Listing and cancelling scheduled changes. Applying them is the ScheduleWorker's job.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import * as repo from './schedules-repo.js';
import { SCHEDULE_STATES } from './states.js';

export class SchedulesService {
  constructor(private readonly pool: Pool) {}

  list(state?: string) {
    return repo.listSchedules(this.pool, {
      state: SCHEDULE_STATES.some((s) => s === state) ? state : undefined,
      limit: 200,
    });
  }

  async cancel(actor: Actor, id: string) {
    await withTx(this.pool, async (c) => {
      const s = await repo.findSchedule(c, id);
      if (!s) throw new NotFoundError('No such scheduled change.');
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
