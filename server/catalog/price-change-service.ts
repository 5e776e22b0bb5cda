// Applies price changes. One change set = one MySQL transaction: prices, then the task
// (the pipeline's TaskCreator, same connection), then the audit records, last. The task
// is queued only after commit, so a worker never sees a task that might still roll back.
import type { Conn, Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor, AuditEvent } from '../audit/audit-chain.js';
import * as prices from './prices-repo.js';
import * as schedules from './schedules-repo.js';
import type { Change } from './price-input.js';
import type { PriceTaskCreator, TaskSource } from './task-port.js';
import { planPromotions } from './promo-plan.js';
import { appendHistory } from './price-history-repo.js';
import { priorLowest } from './price-history-service.js';
import { PriceConfirmationError, priceWarnings, type PriceWarning } from './price-sanity.js';
import { assertStoreInScope, inStoreScope } from '../core/identity.js';
import { findStore } from './stores-repo.js';

export interface ApplyResult {
  taskId: string | null;
  items: number;
  applied: number;
  scheduled: string[];
}

const show = (
  r:
    | { price: string; promo_price?: string | null; promo_from?: Date | null; promo_to?: Date | null }
    | undefined,
) =>
  r
    ? {
        price: r.price,
        promoPrice: r.promo_price ?? null,
        promoFrom: r.promo_from ?? null,
        promoTo: r.promo_to ?? null,
      }
    : null;

export class PriceChangeService {
  constructor(
    private readonly pool: Pool,
    private readonly tasks: PriceTaskCreator | null,
    /** PRICE_CONFIRM_CHANGE_PERCENT: a larger move of the regular price needs a confirmation */
    readonly confirmPercent = 50,
  ) {}

  /** The warnings a set of changes raises against the prices in force (read, not locked). */
  async warnings(changes: Change[]): Promise<PriceWarning[]> {
    const current = await prices.lockPrices(this.pool, changes, false);
    return changes.flatMap((ch, i) =>
      priceWarnings(ch, i, current.get(`${ch.storeId}:${ch.productId}`)?.price ?? null, this.confirmPercent),
    );
  }

  /** Applies changes now and files the ones with effectiveAt for later, all or nothing. */
  async apply(
    actor: Actor,
    changes: Change[],
    opts: { source: TaskSource; note?: string; confirmed?: boolean },
  ): Promise<ApplyResult> {
    // Overlapping changes inserting new price rows can deadlock on InnoDB gap locks; the loser simply runs again.
    const out = await withTxRetry(this.pool, (c) => this.applyInTx(c, actor, changes, opts));
    if (out.taskId) await this.tasks!.enqueue(out.taskId);
    return out;
  }

  async enqueueTask(taskId: string) {
    await this.tasks?.enqueue(taskId);
  }

  /** `beforeAudit` lets a caller write its own bookkeeping with the task id while the audit stays the last statement. */
  async applyInTx(
    c: Conn,
    actor: Actor,
    changes: Change[],
    opts: {
      source: TaskSource;
      note?: string;
      /** the caller confirmed the price warnings (else a warning refuses the whole set) */
      confirmed?: boolean;
      beforeAudit?: (taskId: string | null) => Promise<void>;
      /** the schedule being applied, for the price history */
      scheduleId?: string;
    },
    now = new Date(),
  ): Promise<ApplyResult> {
    // Callers name out-of-scope entries first (per entry); this is the last line of defence.
    for (const ch of changes)
      if (!inStoreScope(actor, ch.storeId))
        assertStoreInScope(actor, (await findStore(c, ch.storeId)) ?? { id: ch.storeId, code: ch.store });
    // Price sanity against the prices in force, read under lock: exact for what this transaction changes.
    const inForce = await prices.lockPrices(c, changes);
    const warnings = changes.flatMap((ch, i) =>
      priceWarnings(ch, i, inForce.get(`${ch.storeId}:${ch.productId}`)?.price ?? null, this.confirmPercent),
    );
    if (warnings.length && !opts.confirmed) throw new PriceConfirmationError(warnings);
    const confirmedOf = (ch: Change) => {
      const codes = [
        ...new Set(warnings.filter((w) => w.sku === ch.sku && w.store === ch.store).map((w) => w.code)),
      ];
      return codes.length ? { confirmedWarnings: codes } : {};
    };
    const later = changes.filter((ch) => ch.effectiveAt);
    const nowChanges = changes.filter((ch) => !ch.effectiveAt);
    const events: AuditEvent[] = [];
    const scheduled = await schedules.insertSchedules(
      c,
      later.map((ch) => ({
        kind: 'price' as const,
        storeId: ch.storeId,
        productId: ch.productId,
        price: ch.price,
        promoPrice: ch.promoPrice,
        promoFrom: ch.promoFrom,
        promoTo: ch.promoTo,
        effectiveAt: ch.effectiveAt!,
        source: opts.source,
        note: opts.note ?? '',
        createdBy: actor.name,
        ...(ch.urgent ? { urgent: true } : {}),
      })),
    );
    later.forEach((ch, i) =>
      events.push({
        action: 'price.scheduled',
        objectType: 'price_schedule',
        objectId: scheduled[i],
        refs: { sku: ch.sku, store: ch.store },
        summary: `${ch.sku} in ${ch.store} at ${ch.effectiveAt!.toISOString()}`,
        after: {
          price: ch.price,
          promoPrice: ch.promoPrice,
          promoFrom: ch.promoFrom,
          promoTo: ch.promoTo,
          effectiveAt: ch.effectiveAt,
          ...confirmedOf(ch),
        },
      }),
    );

    let task: { taskId: string; items: number } | null = null;
    if (nowChanges.length) {
      const before = await prices.lockPrices(c, nowChanges);
      // A new price state replaces any promotion still waiting to start or end.
      await schedules.cancelPromoSchedules(c, nowChanges);
      const { rows, schedules: promoRows } = planPromotions(nowChanges, now, {
        note: opts.note ?? '',
        createdBy: actor.name,
      });
      // Omnibus: the lowest price of the 30 days before each promotion started, from the history so far.
      const withLowest = [];
      for (const r of rows)
        withLowest.push({
          ...r,
          priorLowest: r.promoPrice === null ? null : await priorLowest(c, r, r.promoFrom ?? now),
        });
      await prices.upsertPrices(c, withLowest);
      await schedules.insertSchedules(c, promoRows);
      const taskOpts = { source: opts.source, ...(opts.note ? { note: opts.note.slice(0, 255) } : {}) };
      task = this.tasks
        ? await this.tasks.createInTx(
            c,
            actor,
            nowChanges.map((ch) => ({
              storeId: ch.storeId,
              productId: ch.productId,
              ...(ch.urgent ? { urgent: true } : {}),
            })),
            taskOpts,
          )
        : null;
      await appendHistory(
        c,
        rows.map((r) => ({
          storeId: r.storeId,
          productId: r.productId,
          validFrom: now,
          price: r.price,
          promoPrice: r.promoPrice,
          promoFrom: r.promoFrom,
          promoTo: r.promoTo,
          reason: 'change',
          source: opts.source,
          taskId: task?.taskId ?? null,
          scheduleId: opts.scheduleId ?? null,
          actor: actor.name,
        })),
      );
      for (const r of withLowest) {
        events.push({
          action: 'price.changed',
          objectType: 'price',
          objectId: `${r.sku}@${r.store}`,
          refs: { sku: r.sku, store: r.store, task: task?.taskId },
          before: show(before.get(`${r.storeId}:${r.productId}`)),
          after: {
            price: r.price,
            promoPrice: r.promoPrice,
            promoFrom: r.promoFrom,
            promoTo: r.promoTo,
            ...(r.priorLowest ? { lowestPrior30Days: r.priorLowest } : {}),
            ...(r.upcoming ? { upcomingPromotion: r.upcoming } : {}),
            ...confirmedOf(r),
          },
        });
      }
    }
    await opts.beforeAudit?.(task?.taskId ?? null);
    await appendAudit(c, actor, events, now);
    return { taskId: task?.taskId ?? null, items: task?.items ?? 0, applied: nowChanges.length, scheduled };
  }
}
