// The interactive API reference at /api/docs: Swagger UI (swagger-ui-dist, served from
// node_modules, no CDN) reading /api/v1/openapi.json, started by public/api-reference.js (the
// CSP allows no inline script). Open to anyone, like the document it shows: it holds no data.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Router } from 'express';
import { NotFoundError } from '../core/errors.js';

const DIST = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

export function apiReferenceRoutes() {
  return (app: Router) => {
    app.get('/api/docs', (_req, res) => {
      res.render('api/reference', { title: res.locals.t('layout.apiReference') });
    });
    app.get('/api/docs/assets/:file', (req, res) => {
      const file = String(req.params.file);
      if (!ASSETS.has(file)) throw new NotFoundError(`Nothing here: ${req.path}`);
      res.sendFile(path.join(DIST, file), { maxAge: '1d' });
    });
  };
}
