// The routes Express has registered in a running platform, read from the app's router, so a test
// that must cover "every route" cannot miss one added later.
import type { Express } from 'express';
import { HttpService } from '../../server/web/http-service.js';
import type { TestPlatform } from './platform.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  name?: string;
}

export interface Route {
  method: string;
  /** Express's pattern, e.g. `/tasks/:id` */
  path: string;
}

/**
 * Every method + path of the app. `subRouters` names mounted routers whose routes this walk
 * cannot see (their prefix is hidden): none may exist, or a check built on it is blind.
 */
export function registeredRoutes(app: Express): { routes: Route[]; subRouters: string[] } {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const routes: Route[] = [];
  const subRouters: string[] = [];
  for (const layer of stack) {
    if (!layer.route) {
      if (layer.handle?.stack?.some((l) => l.route)) subRouters.push(layer.name ?? '?');
      continue;
    }
    for (const path of [layer.route.path].flat()) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path });
      }
    }
  }
  return { routes, subRouters };
}

export function appOf(p: TestPlatform): Express {
  const http = p.services.find((s): s is HttpService => s instanceof HttpService);
  if (!http) throw new Error('the platform has no HTTP service');
  return http.app;
}

/** True when a concrete URL path (no query) matches an Express pattern with `:params`. */
export function matchesRoute(pattern: string, url: string): boolean {
  const path = url.split('?')[0];
  const re = new RegExp(
    `^${pattern
      .split(/(:\w+)/)
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(path);
}
