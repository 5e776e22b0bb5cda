// Scheduled price changes and promotions: filed from the product form in the store's wall time, applied by the schedule worker at their time.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import { withTx } from '../../server/db/pool.js';
import { startPlatform, type Platform } from '../../server/platform.js';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { execute } from '../../server/db/query.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  q,
  setPrice,
  signedIn,
  startCatalogPlatform,
} from './support/fixtures.js';
import { waitFor } from '../support/wait.js';

let p: TestPlatform;
let op: WebClient;
let admin: WebClient;
let st: { id: number; code: string; group: string };
let pid: number;

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  st = await makeStore(p, admin, 'SC1');
  pid = await makeProduct(op, 'SCH-1');
  await makeLabels(op, st, 'SCH-1', ['SCH-L1']);
  expect((await setPrice(op, pid, { price: '5.00', stores: 'SC1' })).status).toBe(302);
});
afterAll(async () => {
  await p?.close();
});

/** The instant `ms` from now, to the second. */
const instant = (ms: number) => new Date(Math.floor((Date.now() + ms) / 1000) * 1000);
/** An instant as the browser form sends it: Asia/Shanghai wall time, datetime-local with seconds. */
const wallTime = (d: Date) =>
  DateTime.fromJSDate(d, { zone: 'Asia/Shanghai' }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
/** A time `ms` from now as the browser form sends it: the store's wall time (datetime-local with seconds). */
const at = (ms: number) => wallTime(instant(ms));
// Schedules are filed this far ahead, so none can fall due while a test is still making and
// checking it, however slow the machine; the test then lets the time pass with advance().
const AHEAD = 10 * 60_000;
/**
 * Lets `ms` pass for the test product without waiting for it: its pending schedules and its
 * price row's promotion window all move `ms` earlier, in one transaction, so they stand as
 * they will `ms` from now (times relative to each other unchanged). The schedule worker then
 * finds them due by its own clock on its own next tick, as it would at their time.
 * Schedules first, then prices: the worker's order (it claims a schedule, then locks prices).
 */
async function advance(ms: number) {
  const us = ms * 1000;
  await withTx(p.ctx.pool, async (c) => {
    await execute(
      c,
      `UPDATE price_schedules SET effective_at = effective_at - INTERVAL ? MICROSECOND, promo_from = promo_from - INTERVAL ? MICROSECOND,
         promo_to = promo_to - INTERVAL ? MICROSECOND WHERE product_id = ? AND state = 'pending'`,
      [us, us, us, pid],
    );
    await execute(
      c,
      'UPDATE prices SET promo_from = promo_from - INTERVAL ? MICROSECOND, promo_to = promo_to - INTERVAL ? MICROSECOND WHERE product_id = ?',
      [us, us, pid],
    );
  });
}
const pendingKinds = async () =>
  (
    await q<{ kind: string }>(
      p,
      "SELECT kind FROM price_schedules WHERE product_id = ? AND state = 'pending' ORDER BY id",
      [pid],
    )
  ).map((r) => r.kind);
const row = async () =>
  (
    await q<{ price: string; promo_price: string | null; promo_to: Date | null }>(
      p,
      'SELECT price, promo_price, promo_to FROM prices WHERE product_id = ?',
      [pid],
    )
  )[0];
const lastItem = async () =>
  (
    await q<{ price: string; promo_price: string | null; source: string }>(
      p,
      'SELECT i.price, i.promo_price, t.source FROM task_items i JOIN tasks t ON t.id = i.task_id ORDER BY i.id DESC LIMIT 1',
    )
  )[0];

describe('scheduled price changes and promotions', () => {
  it('applies a change scheduled for later at its time, with a task from the schedule', async () => {
    const due = instant(AHEAD);
    const when = wallTime(due);
    const r = await setPrice(op, pid, { price: '6.00', stores: 'SC1', effectiveAt: when });
    expect(r.status).toBe(302);
    expect((await row()).price).toBe('5.00');
    const [s] = await q<{ id: string; state: string; effective_at: Date }>(
      p,
      "SELECT id, state, effective_at FROM price_schedules WHERE kind = 'price' ORDER BY id DESC LIMIT 1",
    );
    expect(s.state).toBe('pending');
    expect(s.effective_at).toEqual(due); // due at the store's wall time the form asked for
    expect((await op.get('/catalog/schedules')).text).toContain(`data-schedule="${s.id}"`);
    expect((await row()).price).toBe('5.00');
    await advance(AHEAD);
    await waitFor(
      'the schedule',
      async () =>
        (await q<{ state: string }>(p, 'SELECT state FROM price_schedules WHERE id = ?', [s.id]))[0].state ===
        'applied',
    );
    expect((await row()).price).toBe('6.00');
    expect(await lastItem()).toEqual({ price: '6.00', promo_price: null, source: 'schedule' });
  });

  it('runs a promotion now and reverts it by itself at its end time', async () => {
    const r = await setPrice(op, pid, {
      price: '6.00',
      promoPrice: '4.99',
      promoTo: at(AHEAD),
      stores: 'SC1',
    });
    expect(r.status).toBe(302);
    expect((await row()).promo_price).toBe('4.99');
    expect(await lastItem()).toEqual({ price: '6.00', promo_price: '4.99', source: 'ui' });
    expect(await pendingKinds()).toEqual(['promo_end']);
    await advance(AHEAD);
    await waitFor('the promotion end', async () => (await row()).promo_price === null);
    expect((await row()).price).toBe('6.00');
    expect(
      await waitFor('the revert task', async () => {
        const i = await lastItem();
        return i.source === 'promotion' && i;
      }),
    ).toEqual({ price: '6.00', promo_price: null, source: 'promotion' });
    const [a] = await q<{ refs: string }>(
      p,
      "SELECT refs FROM audit_log WHERE action = 'price.promo_ended' ORDER BY id DESC LIMIT 1",
    );
    expect(a.refs).toContain(' sku:SCH-1 store:SC1 ');
  });

  it('starts a future promotion at its start and ends it at its end', async () => {
    await setPrice(op, pid, {
      price: '7.00',
      promoPrice: '5.55',
      promoFrom: at(AHEAD),
      promoTo: at(2 * AHEAD),
      stores: 'SC1',
    });
    expect(await row()).toMatchObject({ price: '7.00', promo_price: null });
    expect(await pendingKinds()).toEqual(['promo_start', 'promo_end']);
    await advance(AHEAD);
    await waitFor('the promotion start', async () => (await row()).promo_price === '5.55');
    // its start went out to the labels; its end is still ahead
    expect(await lastItem()).toEqual({ price: '7.00', promo_price: '5.55', source: 'promotion' });
    expect(await pendingKinds()).toEqual(['promo_end']);
    await advance(AHEAD);
    await waitFor('the promotion end', async () => (await row()).promo_price === null);
    const kinds = await q<{ kind: string; state: string }>(
      p,
      "SELECT kind, state FROM price_schedules WHERE kind <> 'price' ORDER BY id DESC LIMIT 2",
    );
    expect(kinds).toEqual([
      { kind: 'promo_end', state: 'applied' },
      { kind: 'promo_start', state: 'applied' },
    ]);
  });

  it('cancels a pending change, and a new price supersedes a waiting promotion', async () => {
    await setPrice(op, pid, { price: '8.00', stores: 'SC1', effectiveAt: at(AHEAD) });
    const [s] = await q<{ id: string }>(
      p,
      "SELECT id FROM price_schedules WHERE state = 'pending' AND kind = 'price'",
    );
    expect((await op.post(`/catalog/schedules/${s.id}/cancel`, {}, '/catalog/schedules')).status).toBe(302);
    expect(
      (await q<{ state: string }>(p, 'SELECT state FROM price_schedules WHERE id = ?', [s.id]))[0].state,
    ).toBe('cancelled');
    await setPrice(op, pid, {
      price: '7.00',
      promoPrice: '1.00',
      promoFrom: at(AHEAD),
      promoTo: at(2 * AHEAD),
      stores: 'SC1',
    });
    await setPrice(op, pid, { price: '7.50', stores: 'SC1' });
    expect(await q(p, "SELECT id FROM price_schedules WHERE state = 'pending'")).toEqual([]);
    const aud = await signedIn(p, 'auditor');
    expect((await aud.post(`/catalog/schedules/${s.id}/cancel`, {}, '/catalog/schedules')).status).toBe(403);
  });

  it('refuses a time in the past or a promotion ending before it starts', async () => {
    const past = await setPrice(op, pid, { price: '1.00', stores: 'SC1', effectiveAt: at(-60_000) });
    expect(past.status).toBe(400);
    expect(past.text).toMatch(/data-field="effectiveAt">[^<]*must be in the future/);
    const backwards = await setPrice(op, pid, {
      price: '1.00',
      promoPrice: '0.50',
      promoFrom: at(2 * AHEAD),
      promoTo: at(AHEAD),
      stores: 'SC1',
    });
    expect(backwards.text).toMatch(/data-field="promoTo">[^<]*after the promotion starts/);
    const garbage = await setPrice(op, pid, { price: '1.00', stores: 'SC1', effectiveAt: 'tomorrow' });
    expect(garbage.text).toMatch(/data-field="effectiveAt">[^<]*not a date-time/);
  });

  it('applies each due schedule exactly once when several worker processes compete', async () => {
    // A second platform (broker and worker roles: a worker needs a broker to publish through) on the same database and queues.
    const second: Platform = await startPlatform({
      config: loadConfig({
        ...Object.fromEntries(
          Object.entries(p.config)
            .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
            .map(([k, v]) => [k, String(v)]),
        ),
        ROLES: 'broker,worker',
        COOKIE_SECURE: 'false',
        DEMO: 'false',
      }),
      log: createLogger('silent'),
      mysqlUrl: p.ctx.mysqlUrl,
      redisUrl: p.ctx.redisUrl,
      sessionSecret: 'x'.repeat(40),
    });
    try {
      const products: number[] = [];
      for (let i = 0; i < 12; i++) {
        products.push(await makeProduct(op, `RACE-${i}`));
        await makeLabels(op, st, `RACE-${i}`, [`RACE-L${i}`]);
      }
      const when = at(600_000);
      for (const id of products)
        expect((await setPrice(op, id, { price: '2.00', stores: 'SC1', effectiveAt: when })).status).toBe(
          302,
        );
      const ids = (
        await q<{ id: string }>(
          p,
          "SELECT id FROM price_schedules WHERE state = 'pending' AND kind = 'price'",
        )
      ).map((r) => r.id);
      expect(ids).toHaveLength(12);
      // Let the time pass: all twelve fall due at the same moment, in front of both workers.
      await execute(p.ctx.pool, 'UPDATE price_schedules SET effective_at = NOW(3) WHERE id IN (?)', [ids]);
      await waitFor(
        'all schedules',
        async () => (await q(p, "SELECT id FROM price_schedules WHERE state = 'pending'")).length === 0,
      );
      const perSchedule = await q<{ actor: string; n: string }>(
        p,
        "SELECT actor, COUNT(*) AS n FROM audit_log WHERE action = 'price.changed' AND actor LIKE 'schedule:%' AND actor IN (?) GROUP BY actor",
        [ids.map((i) => `schedule:${i}`)],
      );
      expect(
        await q(p, "SELECT id, state, error FROM price_schedules WHERE id IN (?) AND state <> 'applied'", [
          ids,
        ]),
      ).toEqual([]);
      expect(perSchedule).toHaveLength(12);
      for (const r of perSchedule) expect(r.n).toBe('1');
      const tasks = await q<{ n: string; d: string }>(
        p,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT t.id) AS d FROM price_schedules s JOIN tasks t ON t.id = s.task_id WHERE t.source = 'schedule' AND s.id IN (?)",
        [ids],
      );
      expect(tasks[0]).toEqual({ n: '12', d: '12' });
      expect(
        (
          await q<{ n: string }>(p, 'SELECT COUNT(*) AS n FROM task_items WHERE label_id LIKE ?', ['RACE-L%'])
        )[0].n,
      ).toBe('12');
      expect(
        await q(
          p,
          "SELECT id FROM price_schedules WHERE id IN (?) AND (state <> 'applied' OR task_id IS NULL)",
          [ids],
        ),
      ).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
