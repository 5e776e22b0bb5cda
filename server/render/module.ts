// The rendering domain as the platform composes it: label models, templates, images of what
// each label must show. Web role: template pages, label page, previews, the image API. Worker
// role: task rendering. Its `itemImages` port is the pipeline's ItemImagePort (the dispatcher
// asks it for the images of items bound for a Group ID with an image-capable AP).
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { ItemImagePort } from '../tasks/group-dispatcher.js';
import { ItemImages } from './item-images.js';
import { renderApiRoutes } from './render-api-routes.js';
import { RenderPagesService } from './render-pages-service.js';
import { renderRoutes } from './render-routes.js';
import { RenderService, type LabelTaskCreator, type OmnibusPort } from './render-service.js';
import { RenderWorker } from './render-worker.js';

export interface RenderPorts {
  render: RenderService;
  /** The images of task items, for the tasks module's dispatcher. */
  itemImages: ItemImagePort;
}

export interface RenderDeps {
  /** The worker's period (tests shorten it); RENDER_INTERVAL_MS by default. */
  intervalMs?: number;
  /** The pipeline's task creator (created after this module, hence a getter). */
  tasks?: () => LabelTaskCreator;
  /** The catalog's Omnibus lowest price, for previews of a promotion not started yet (a getter: created after). */
  omnibus?: () => OmnibusPort;
}

export function createRenderModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: RenderDeps = {},
): DomainModule<RenderPorts> {
  const { pool, config, log } = ctx;
  const render = new RenderService(pool, { tasks: deps.tasks, omnibus: deps.omnibus });
  const pages = new RenderPagesService(pool, render);
  return {
    name: 'render',
    services: roles.has('worker')
      ? [
          new RenderWorker(pool, render, log, {
            intervalMs: deps.intervalMs ?? config.RENDER_INTERVAL_MS,
            batch: config.RENDER_BATCH,
            allTasks: config.RENDER_ALL_TASKS,
          }),
        ]
      : [],
    routes: [renderRoutes(render, pages), renderApiRoutes(render, pages)],
    ports: { render, itemImages: new ItemImages(pool, render, log) },
  };
}
