// The rendering domain: label models, templates, images of what each label must show.
// Web role: template pages, label page, previews, the image API. Worker role: task rendering.
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { Service } from '../core/lifecycle.js';
import { RenderService } from './render-service.js';
import { RenderWorker } from './render-worker.js';
import { renderRoutes } from './render-routes.js';
import { renderApiRoutes } from './render-api-routes.js';
import { ItemImages } from './item-images.js';

export function createRender(
  ctx: AppContext,
  roles: Set<string>,
): DomainModule<{ render: RenderService; itemImages: ItemImages }> {
  const render = new RenderService(ctx.pool);
  const services: Service[] = [];
  if (roles.has('worker'))
    services.push(
      new RenderWorker(ctx.pool, render, ctx.log, {
        intervalMs: ctx.config.RENDER_INTERVAL_MS,
        batch: ctx.config.RENDER_BATCH,
        allTasks: ctx.config.RENDER_ALL_TASKS,
      }),
    );
  return {
    name: 'render',
    services,
    routes: [renderRoutes(ctx.pool, render), renderApiRoutes(render)],
    ports: { render, itemImages: new ItemImages(ctx.pool, render) },
  };
}
