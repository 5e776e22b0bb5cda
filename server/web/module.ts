// The web role as the platform composes it: the Express app with every domain's routes (the
// health and readiness probes are its own, mounted before the session) behind one HTTP listener.
import type { RequestHandler } from 'express';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule, RouteMount } from '../core/module.js';
import { createWebApp, type CurrentUser } from './app.js';
import { HttpService } from './http-service.js';

export interface WebModuleDeps {
  sessionSecret: string;
  currentUser: CurrentUser;
  apiAuth: RequestHandler;
  /** The Idempotency-Key middleware for POSTs under /api/v1. */
  apiIdempotency: RequestHandler;
  /** The other modules' routes, mounted in this order. */
  routes: RouteMount[];
}

export interface WebPorts {
  /** The listener (web role), else null. */
  http: HttpService | null;
}

export function createWebModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: WebModuleDeps,
): DomainModule<WebPorts> {
  const routes: RouteMount[] = [];
  if (!roles.has('web')) return { name: 'web', services: [], routes, ports: { http: null } };
  const app = createWebApp(ctx, {
    currentUser: deps.currentUser,
    sessionSecret: deps.sessionSecret,
    routes: [...routes, ...deps.routes],
    apiAuth: deps.apiAuth,
    apiIdempotency: deps.apiIdempotency,
  });
  const http = new HttpService(app, ctx.config.HTTP_HOST, ctx.config.HTTP_PORT);
  return { name: 'web', services: [http], routes, ports: { http } };
}
