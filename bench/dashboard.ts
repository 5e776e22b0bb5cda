// `npm run bench:dashboard`: what the dashboard and the stuck-task diagnosis cost at scale.
// 100,000 labels (50 stores x 4 APs x 500 labels, every label reported, one AP in 10 offline),
// one running task over every label (half confirmed), a day of 2,000 finished tasks (100 items
// each, and their per-store outcomes). Each part
// is timed (median of 7) next to a reference measured in the same run: the cheapest full count
// of the same table (`SELECT COUNT(*) FROM labels`, and of the task's items); a store scope's
// hourly outcomes next to the former query, ending a task next to the former outcome statement.
// Knobs: BENCH_STORES, BENCH_APS_PER_STORE, BENCH_LABELS_PER_AP.
import crypto from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/config.js';
import { apsByStore, hourlyOutcomes, labelHealth, taskCounts } from '../server/dashboard/dashboard-repo.js';
import { migrate } from '../server/db/migrate.js';
import { createPool, withTx, type Pool } from '../server/db/pool.js';
import { countMismatches } from '../server/devices/mismatch-repo.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { apsOfGroups, openItemBuckets } from '../server/tasks/diagnosis-repo.js';
import { diagnose } from '../server/tasks/task-diagnosis.js';
import { finishTask } from '../server/tasks/task-state-repo.js';
import { createScratchDatabase } from '../test/support/scratch.js';
import { insertProducts, insertStore } from './e2e-seed-repo.js';
import {
  formerScopedHourly,
  formerTaskOutcome,
  insertAps,
  insertFinishedItems,
  insertFinishedTasks,
  insertRunningTask,
  referenceItemCount,
  referenceLabelCount,
  reportEveryLabel,
} from './dashboard-seed-repo.js';

const STORES = Number(process.env.BENCH_STORES ?? 50);
const APS_PER_STORE = Number(process.env.BENCH_APS_PER_STORE ?? 4);
const LABELS_PER_AP = Number(process.env.BENCH_LABELS_PER_AP ?? 500);
const LABELS_PER_PRODUCT = 4;
const TOTAL = STORES * APS_PER_STORE * LABELS_PER_AP;
const REPS = 7;

const say = (s: string) => process.stdout.write(`${s}\n`);

/** Runs `fn` in a transaction that is rolled back, so the same task can be ended again. */
async function rolledBack(
  pool: Pool,
  fn: (c: Parameters<Parameters<typeof withTx>[1]>[0]) => Promise<unknown>,
) {
  const undo = new Error('roll back');
  await withTx(pool, async (c) => {
    await fn(c);
    throw undo;
  }).catch((e) => {
    if (e !== undo) throw e;
  });
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm the buffer pool
  const ms: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(REPS / 2)];
}

async function main() {
  const urls = await startEmbeddedServices(path.join(PROJECT_ROOT, '.data'));
  const tag = crypto.randomBytes(3).toString('hex');
  const db = await createScratchDatabase(urls.mysqlUrl, `esl_bench_${tag}`);
  const pool = createPool(db.url, 4);
  try {
    await migrate(db.url);
    say(
      `bench:dashboard  ${TOTAL} labels = ${STORES} stores x ${APS_PER_STORE} APs x ${LABELS_PER_AP} labels`,
    );
    const productIds = await insertProducts(pool, (APS_PER_STORE * LABELS_PER_AP) / LABELS_PER_PRODUCT, tag);
    const groupIds: string[] = [];
    for (let s = 0; s < STORES; s++) {
      const g = `GID_B${tag}${s}`;
      groupIds.push(g);
      await pool.query('INSERT INTO mqtt_groups (group_id) VALUES (?)', [g]);
      await insertStore(pool, `B${tag}-${s}`, g, productIds, LABELS_PER_PRODUCT);
    }
    await insertAps(pool, groupIds, APS_PER_STORE, 10);
    await reportEveryLabel(pool, APS_PER_STORE);
    const taskId = await insertRunningTask(pool);
    await insertFinishedTasks(pool, 2000);
    await insertFinishedItems(pool);
    await pool.query('ANALYZE TABLE labels, task_items, tasks, aps, task_store_outcomes');
    const [[{ storeId }]] = (await pool.query(
      'SELECT MIN(store_id) AS storeId FROM task_store_outcomes',
    )) as unknown as [{ storeId: number }[]];

    const refLabels = await median(() => referenceLabelCount(pool));
    const refItems = await median(() => referenceItemCount(pool, taskId));
    const rows: [string, number, number, string][] = [];
    const part = async (name: string, ref: number, refName: string, fn: () => Promise<unknown>) =>
      rows.push([name, await median(fn), ref, refName]);
    const dayStart = new Date(new Date().setUTCHours(0, 0, 0, 0));
    await part('APs per store', refLabels, 'COUNT labels', () => apsByStore(pool));
    await part('label health bands (one pass)', refLabels, 'COUNT labels', () => labelHealth(pool));
    await part('open mismatches (hash per label)', refLabels, 'COUNT labels', () => countMismatches(pool));
    await part('task counts (running, today)', refLabels, 'COUNT labels', () => taskCounts(pool, dayStart));
    await part('hourly outcomes, 24 h', refLabels, 'COUNT labels', () => hourlyOutcomes(pool, 24));
    // a store-scoped reader's: the per-store outcomes, next to the former query over the items
    const formerScoped = await median(() => formerScopedHourly(pool, 24, [storeId]));
    await part(
      'hourly outcomes, 24 h, one store (per-store rows)',
      formerScoped,
      'former EXISTS over items',
      () => hourlyOutcomes(pool, 24, [storeId]),
    );
    // what ending a task costs now (the per-store rows, then the task row from them), next to the former statements
    const formerEnd = await median(() =>
      rolledBack(pool, async (c) => {
        await c.query("UPDATE tasks SET state = 'completed', finished_at = NOW(3) WHERE id = ?", [taskId]);
        await formerTaskOutcome(c, taskId);
      }),
    );
    await part('ending the 100k-item task (outcomes)', formerEnd, 'former row-only outcome', () =>
      rolledBack(pool, (c) => finishTask(c, taskId, 'completed')),
    );
    await part('diagnosis of the 100k-item task', refItems, 'COUNT its items', async () => {
      const buckets = await openItemBuckets(pool, taskId);
      const groups = await apsOfGroups(pool, [...new Set(buckets.map((b) => b.groupId))]);
      return diagnose({
        buckets,
        groups,
        task: {
          createdAt: new Date(),
          dispatchedAt: new Date(Date.now() - 60_000),
          deadlineAt: new Date(Date.now() + 1800_000),
        },
        confirmed: TOTAL / 2,
        now: new Date(),
      });
    });
    say(
      `reference: COUNT(*) labels ${refLabels.toFixed(1)} ms, COUNT(*) items of the task ${refItems.toFixed(1)} ms`,
    );
    say('| part | median ms | ratio to reference |');
    say('|---|---|---|');
    for (const [name, ms, ref, refName] of rows)
      say(`| ${name} | ${ms.toFixed(1)} | ${(ms / ref).toFixed(2)}x ${refName} |`);
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
