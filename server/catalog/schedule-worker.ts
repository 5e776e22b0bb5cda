// Applies due price schedules (worker role). Each schedule is claimed with
// SELECT ... FOR UPDATE SKIP LOCKED and applied in the same transaction that marks it
// applied, so across any number of worker processes each runs exactly once.
import type { Conn, Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { throttledLog } from '../core/throttle.js';
import { appendAudit } from '../audit/audit-repo.js';
import { SYSTEM_ACTOR, type Actor } from '../audit/audit-chain.js';
import * as prices from './prices-repo.js';
import * as schedules from './schedules-repo.js';
import { findProduct } from './products-repo.js';
import { findStore } from './stores-repo.js';
import type { PriceChangeService } from './price-change-service.js';
import type { PriceTaskCreator } from './task-port.js';
import { appendHistory } from './price-history-repo.js';
import { priorLowest } from './price-history-service.js';

const TRANSIENT = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export class ScheduleWorker implements Service {
  readonly name = 'price-schedules';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  // while MySQL is away every tick fails the same way
  private readonly failed: ReturnType<typeof throttledLog>;

  constructor(
    private readonly pool: Pool,
    private readonly changes: PriceChangeService,
    private readonly tasks: PriceTaskCreator | null,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {
    this.failed = throttledLog(log, 'error', 'schedule tick failed; it runs again every tick');
  }

  async start() {
    this.timer = setInterval(() => {
      if (!this.running)
        this.running = this.tick()
          .then(
            () => undefined,
            (err: unknown) =>
              this.failed({
                err: { message: (err as Error).message, code: (err as { code?: string }).code },
              }),
          )
          .finally(() => (this.running = null));
    }, this.intervalMs);
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Applies every schedule due now; returns how many it applied or failed. */
  async tick(now = () => new Date(), max = 500): Promise<number> {
    let n = 0;
    while (n < max) {
      const done = await this.applyNext(now());
      if (!done) break;
      n++;
    }
    return n;
  }

  private async applyNext(now: Date): Promise<boolean> {
    let failedId: string | null = null;
    try {
      const out = await withTxRetry(this.pool, async (c) => {
        const s = await schedules.claimDue(c, now);
        if (!s) return null;
        failedId = s.id;
        const taskId = await this.applyOne(c, s, now);
        return { taskId };
      });
      if (!out) return false;
      if (out.taskId) await this.tasks!.enqueue(out.taskId);
      return true;
    } catch (err) {
      // Still losing lock races after the retries: leave it pending for the next tick.
      if (!failedId || TRANSIENT.has((err as { code?: string }).code ?? '')) throw err;
      // The schedule rolled back with everything else; record why, so it is not retried forever.
      this.log.error({ err, schedule: failedId }, 'price schedule failed');
      await withTx(this.pool, (c) => schedules.markFailed(c, failedId!, (err as Error).message || 'failed'));
      return true;
    }
  }

  private async applyOne(c: Conn, s: schedules.ScheduleRow, now: Date): Promise<string | null> {
    const product = await findProduct(c, s.product_id);
    const store = await findStore(c, s.store_id);
    if (!product || !store) throw new Error('product or store no longer exists');
    const actor: Actor = { ...SYSTEM_ACTOR, name: `schedule:${s.id}` };
    if (s.kind === 'price') {
      const r = await this.changes.applyInTx(
        c,
        actor,
        [
          {
            storeId: s.store_id,
            productId: s.product_id,
            sku: product.sku,
            store: store.code,
            price: s.price!,
            promoPrice: s.promo_price,
            promoFrom: s.promo_from,
            promoTo: s.promo_to,
            effectiveAt: null,
            ...(s.urgent ? { urgent: true } : {}),
          },
        ],
        {
          source: 'schedule',
          scheduleId: s.id,
          note: s.note || `schedule ${s.id}`,
          // its warnings were confirmed (or there were none) when it was scheduled
          confirmed: true,
          beforeAudit: (taskId) => schedules.markApplied(c, s.id, taskId),
        },
        now,
      );
      return r.taskId;
    }
    const pair = { storeId: s.store_id, productId: s.product_id };
    const cur = (await prices.lockPrices(c, [pair])).get(`${s.store_id}:${s.product_id}`);
    // A promotion end only clears the promotion it was filed for; a newer one stays.
    const stale = !cur || (s.kind === 'promo_end' && cur.promo_to?.getTime() !== s.promo_to?.getTime());
    if (stale) {
      await schedules.markApplied(c, s.id, null, 'nothing to do: the price changed since');
      return null;
    }
    const next =
      s.kind === 'promo_start'
        ? { price: cur.price, promoPrice: s.promo_price, promoFrom: s.promo_from, promoTo: s.promo_to }
        : { price: cur.price, promoPrice: null, promoFrom: null, promoTo: null };
    // Omnibus: the lowest price of the 30 days before this promotion starts.
    const lowest = next.promoPrice === null ? null : await priorLowest(c, pair, next.promoFrom ?? now);
    await prices.upsertPrices(c, [{ ...pair, ...next, priorLowest: lowest }]);
    const task = this.tasks
      ? await this.tasks.createInTx(c, actor, [{ ...pair, ...(s.urgent ? { urgent: true } : {}) }], {
          source: 'promotion',
          note: `${s.kind === 'promo_start' ? 'promotion start' : 'promotion end'} of ${product.sku} in ${store.code}`,
        })
      : null;
    await appendHistory(c, [
      {
        ...pair,
        ...next,
        validFrom: now,
        reason: s.kind,
        source: 'promotion',
        taskId: task?.taskId ?? null,
        scheduleId: s.id,
        actor: actor.name,
      },
    ]);
    await schedules.markApplied(c, s.id, task?.taskId ?? null);
    await appendAudit(
      c,
      actor,
      [
        {
          action: s.kind === 'promo_start' ? 'price.promo_started' : 'price.promo_ended',
          objectType: 'price',
          objectId: `${product.sku}@${store.code}`,
          refs: { sku: product.sku, store: store.code, task: task?.taskId, schedule: s.id },
          before: {
            price: cur.price,
            promoPrice: cur.promo_price,
            promoFrom: cur.promo_from,
            promoTo: cur.promo_to,
          },
          after: { ...next, ...(lowest ? { lowestPrior30Days: lowest } : {}) },
        },
      ],
      now,
    );
    return task?.taskId ?? null;
  }
}
