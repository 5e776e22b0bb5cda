// What all of /api/v1 shares: the OpenAPI document (built from the schemas the domains' API
// routes validate with, served at /api/v1/openapi.json, and its reference page at /api/docs) and the Idempotency-Key middleware,
// a port the web app mounts after authentication, before the domains' routes.
import type { RequestHandler } from 'express';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { IdempotencyService, idempotentPosts } from './idempotency.js';
import { openApiRoutes } from './openapi.js';
import { apiReferenceRoutes } from './reference-routes.js';

export interface ApiPorts {
  idempotency: RequestHandler;
}

export function createApiModule(ctx: AppContext): DomainModule<ApiPorts> {
  return {
    name: 'api',
    services: [],
    routes: [openApiRoutes(), apiReferenceRoutes()],
    ports: { idempotency: idempotentPosts(new IdempotencyService(ctx.pool, ctx.log), ctx.log) },
  };
}
