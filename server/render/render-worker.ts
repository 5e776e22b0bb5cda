// Worker role: renders new tasks' items in batches, off the HTTP path: the items bound for
// groups with an image-capable AP (ahead of their dispatch), or every item with
// RENDER_ALL_TASKS (images for the label and task pages of field-only stores too). Tasks are
// registered as they appear (open ones pending, finished ones skipped); each batch is one
// transaction that claims the task's progress row (SKIP LOCKED, so workers share the work),
// draws or looks up the images and records each item's image hash or error.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { RenderService } from './render-service.js';
import { renderItemRows } from './item-images.js';
import * as repo from './render-repo.js';

export class RenderWorker implements Service {
  readonly name = 'render-worker';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly render: RenderService,
    private readonly log: Logger,
    private readonly opts: { intervalMs: number; batch: number; allTasks: boolean },
  ) {}

  async start() {
    this.timer = setInterval(() => {
      if (!this.running)
        this.running = this.tick()
          .then(
            () => undefined,
            (err) => this.log.error({ err }, 'render tick failed'),
          )
          .finally(() => (this.running = null));
    }, this.opts.intervalMs);
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Registers new tasks and renders batches until nothing is pending (or `maxBatches`). */
  async tick(maxBatches = 50): Promise<number> {
    await repo.registerNewTasks(this.pool, 500);
    let n = 0;
    while (n < maxBatches && (await this.oneBatch())) n++;
    return n;
  }

  private oneBatch(): Promise<boolean> {
    return withTx(this.pool, async (c) => {
      const task = await repo.nextPendingTask(c);
      if (!task) return false;
      const rows = await repo.itemBatch(
        c,
        task.task_id,
        task.last_item_id,
        this.opts.batch,
        !this.opts.allTasks,
      );
      if (!rows.length) {
        await repo.advanceTask(c, task.task_id, task.last_item_id, 0, 0, true);
        return true;
      }
      const t0 = performance.now();
      const saved = await renderItemRows(this.render, rows);
      // one line per batch: `npm run bench:e2e` with image APs sums `ms` for the rendering share
      this.log.info(
        {
          task: task.task_id,
          labels: rows.length,
          ms: Math.round(performance.now() - t0),
          drawMsTotal: Math.round(this.render.drawMs),
          drawnTotal: this.render.drawn,
        },
        'rendered a batch',
      );
      await repo.saveItemImages(c, task.task_id, saved);
      const failed = saved.filter((s) => s.error).length;
      if (failed) this.log.warn({ task: task.task_id, failed }, 'labels of a task could not be rendered');
      await repo.advanceTask(
        c,
        task.task_id,
        rows[rows.length - 1].item_id,
        saved.length - failed,
        failed,
        rows.length < this.opts.batch,
      );
      return true;
    });
  }
}
