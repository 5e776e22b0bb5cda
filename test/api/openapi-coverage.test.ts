// The OpenAPI document is complete and valid: every route Express has registered under /api/v1
// (read from the running app's router, so a new route cannot be forgotten) is described with
// its method, and the document passes the OpenAPI 3.1 schema.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { appOf, registeredRoutes } from '../support/routes.js';

/** The keys of an OpenAPI path item that are operations (the others: parameters, summary, ...). */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let p: TestPlatform;
let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  p = await startTestPlatform();
  doc = await (await fetch(`${p.baseUrl}/api/v1/openapi.json`)).json();
});
afterAll(() => p?.close());

describe('OpenAPI document', () => {
  it('describes every route registered under /api/v1', () => {
    const walked = registeredRoutes(appOf(p));
    expect(walked.subRouters).toEqual([]);
    const routes = walked.routes
      .filter((r) => r.path.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
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
