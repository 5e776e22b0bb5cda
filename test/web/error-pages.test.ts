// The one error handler: typed errors keep their status and message; anything else is a
// 500 that says nothing of the cause outside development. Uses the real handler and views.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import { ValidationError } from '../../server/core/errors.js';
import { errorHandler } from '../../server/web/error-handler.js';

function appWith(showStack: boolean) {
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', path.join(PROJECT_ROOT, 'views'));
  app.locals.appName = 'ESL Platform';
  app.use((_req, res, next) => {
    Object.assign(res.locals, {
      user: null,
      nav: [],
      path: '/',
      csrfToken: '',
      flash: [],
      errors: {},
      values: {},
    });
    next();
  });
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  app.get('/invalid', () => {
    throw new ValidationError('Please correct the highlighted fields.', { price: 'not a price' });
  });
  app.use(errorHandler(createLogger('silent'), showStack));
  return app;
}

const servers: import('node:http').Server[] = [];
async function listen(app: express.Express) {
  const s = app.listen(0, '127.0.0.1');
  servers.push(s);
  await new Promise((r) => s.once('listening', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
let prod: string;
let dev: string;
beforeAll(async () => {
  prod = await listen(appWith(false));
  dev = await listen(appWith(true));
});
afterAll(() => servers.forEach((s) => s.close()));

describe('error pages', () => {
  it('hides the cause and the stack of a 500 outside development', async () => {
    const res = await fetch(`${prod}/boom`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain('Something went wrong on our side');
    expect(html).not.toContain('hunter2');
    expect(html).not.toContain('error-pages.test.ts');
  });

  it('shows the stack in development only', async () => {
    const html = await (await fetch(`${dev}/boom`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('error-pages.test.ts');
  });

  it('answers JSON callers with a code, a message and the invalid fields', async () => {
    const res = await fetch(`${prod}/invalid`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'invalid_input', fields: { price: 'not a price' } },
    });
  });
});
