// The OpenAPI document is complete and valid: every route Express has registered under /api/v1
// (read from the running app's router, so a new route cannot be forgotten) is described with
// its method, and the document passes the OpenAPI 3.1 schema.
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpService } from '../../server/web/http-service.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  name?: string;
}

/** The keys of an OpenAPI path item that are operations (the others: parameters, summary, ...). */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let p: TestPlatform;
let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  p = await startTestPlatform();
  doc = await (await fetch(`${p.baseUrl}/api/v1/openapi.json`)).json();
});
afterAll(() => p?.close());

function registered(app: Express) {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const routes: string[] = [];
  const subRouters: string[] = [];
  for (const layer of stack) {
    if (!layer.route) {
      // A mounted sub-router hides its prefix from this walk: none may exist, or the check is blind to it.
      if (layer.handle?.stack?.some((l) => l.route)) subRouters.push(layer.name ?? '?');
      continue;
    }
    for (const path of [layer.route.path].flat()) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all')
          routes.push(`${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    }
  }
  return { routes, subRouters };
}

describe('OpenAPI document', () => {
  it('describes every route registered under /api/v1', () => {
    const http = p.services.find((s): s is HttpService => s instanceof HttpService);
    expect(http).toBeDefined();
    const { routes, subRouters } = registered(http!.app);
    expect(subRouters).toEqual([]);
    // The walk sees the routes the domains register (a sample that exists on every branch).
    expect(routes).toContain('GET /api/v1/tasks/{id}');
    expect(routes).toContain('POST /api/v1/price-changes');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((k) => METHODS.includes(k))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
    // and nothing is documented that the app does not serve
    expect([...documented].filter((d) => !routes.includes(d))).toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // the validator does reject a broken document
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, unknown>> };
    (broken.paths['/api/v1/tasks/{id}'].get as { responses: unknown }).responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});
