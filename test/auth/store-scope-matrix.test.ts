// The store-scope matrix: every route Express has registered (web pages and /api/v1, read from
// the running app's router, so a new route cannot be forgotten) is called by a store-scoped
// operator, a store-scoped auditor, a store-scoped API key (prices:write, tasks:read) and a
// store-scoped API key with the audit:read scope (`auditKey`), each limited to the store
// "Apple Inland". A second store, "Zebra Outland", holds data whose every name, SKU, label, Group
// ID and AP carries the word "zebra". Each route has one decision below:
//   filter  - a list or page: answered (200) without any zebra, while an unscoped admin sees it;
//   refuse  - a change to, or one object of, the Zebra store: refused (403 naming the store,
//             404 for an object the reader may not see, or a per-entry error for bulk/import);
//   role    - only for roles no scoped identity has (admins): refused to all three;
//   none    - no store data (named why): answered without any zebra;
//   public  - signed-out pages and static files.
// A registered route with no decision fails the test, and so does a decision for a route that
// no longer exists.
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, queryRows } from '../../server/db/query.js';
import { HttpService } from '../../server/web/http-service.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { WebClient } from '../support/web-client.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

const PASSWORD = 'a-long-password-123';
const ZEBRA = /zebra/i;

type Who = 'operator' | 'auditor' | 'api' | 'auditKey';
const WHO: Who[] = ['operator', 'auditor', 'api', 'auditKey'];
const isKey = (w: Who | 'admin') => w === 'api' || w === 'auditKey';

interface Call {
  method?: string;
  url: string;
  form?: Record<string, string>;
  json?: unknown;
}

type Decision =
  | {
      kind: 'filter';
      call: Call;
      roles: Who[];
      adminSees?: false;
      inScope?: RegExp;
      tasks?: true;
      /** server-sent events: the first event is read, then the stream is closed */
      stream?: true;
    }
  | { kind: 'refuse'; call: Call; roles: Who[]; status: number; names?: true }
  | { kind: 'role'; call?: Call }
  | { kind: 'none'; call: Call | null; roles: Who[]; why: string }
  | { kind: 'public'; call: Call | null };

let p: TestPlatform;
let admin: WebClient;
let adminKey = '';
const clients: Partial<Record<'operator' | 'auditor', WebClient>> = {};
let scopedKey = '';
let auditKey = '';
const ids: Record<string, string> = {};

const q = <T extends object = Record<string, unknown>>(sql: string, args: unknown[] = []) =>
  queryRows<T>(p.ctx.pool, sql, args);

async function adminApi(method: string, url: string, body?: unknown) {
  const res = await fetch(p.baseUrl + url, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${url}: ${text.slice(0, 300)}`).toBeLessThan(300);
  return JSON.parse(text);
}

async function seed() {
  const pool = p.ctx.pool;
  for (const g of ['GID_APPLE', 'GID_ZEBRA'])
    await execute(pool, 'INSERT INTO mqtt_groups (group_id) VALUES (?)', [g]);
  const apple = await execute(pool, "INSERT INTO stores (code, name) VALUES ('APPLE', 'Apple Inland')");
  const zebra = await execute(pool, "INSERT INTO stores (code, name) VALUES ('ZEBRA', 'Zebra Outland')");
  ids.apple = String(apple.insertId);
  ids.zebra = String(zebra.insertId);
  await execute(pool, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?), (?, ?)', [
    'GID_APPLE',
    apple.insertId,
    'GID_ZEBRA',
    zebra.insertId,
  ]);
  const prod = async (sku: string, name: string) =>
    (await execute(pool, 'INSERT INTO products (sku, name) VALUES (?, ?)', [sku, name])).insertId;
  const appleP = await prod('APPLE-SKU-1', 'Apple juice');
  const zebraP = await prod('ZEBRA-SKU-1', 'Zebra cola');
  const bothP = await prod('SHARED-SKU-1', 'Shared water');
  ids.appleProduct = String(appleP);
  ids.zebraProduct = String(zebraP);
  ids.bothProduct = String(bothP);
  await execute(pool, 'INSERT INTO prices (store_id, product_id, price) VALUES ?', [
    [
      [apple.insertId, appleP, '3.00'],
      [zebra.insertId, zebraP, '4.00'],
      [apple.insertId, bothP, '2.00'],
      [zebra.insertId, bothP, '2.00'],
    ],
  ]);
  await execute(
    pool,
    `INSERT INTO aps (client_id, group_id, device_id, online, disconnected_at) VALUES
      ('GID_APPLE@@@apple-ap', 'GID_APPLE', 'apple-ap', 0, NOW(3)), ('GID_ZEBRA@@@zebra-ap', 'GID_ZEBRA', 'zebra-ap', 0, NOW(3))`,
  );
  await execute(
    pool,
    'INSERT INTO labels (label_id, store_id, group_id, product_id, bound_at, last_ap_client_id, displayed_hash) VALUES ?',
    [
      [
        [
          'APPLE-L1',
          apple.insertId,
          'GID_APPLE',
          appleP,
          new Date(),
          'GID_APPLE@@@apple-ap',
          'ab'.repeat(32),
        ],
        ['APPLE-LB1', apple.insertId, 'GID_APPLE', bothP, new Date(), 'GID_APPLE@@@apple-ap', null],
        [
          'ZEBRA-L1',
          zebra.insertId,
          'GID_ZEBRA',
          zebraP,
          new Date(),
          'GID_ZEBRA@@@zebra-ap',
          'ab'.repeat(32),
        ],
        ['ZEBRA-LB1', zebra.insertId, 'GID_ZEBRA', bothP, new Date(), 'GID_ZEBRA@@@zebra-ap', null],
      ],
    ],
  );
  // Tasks through the API as an unscoped admin: one per store and one reaching both.
  const task = async (changes: unknown[]) =>
    String((await adminApi('POST', '/api/v1/price-changes', { changes })).taskIds[0]);
  ids.zebraTask = await task([{ sku: 'ZEBRA-SKU-1', store: 'ZEBRA', price: '4.50' }]);
  ids.appleTask = await task([{ sku: 'APPLE-SKU-1', store: 'APPLE', price: '3.50' }]);
  ids.mixedTask = await task([
    { sku: 'SHARED-SKU-1', store: 'APPLE', price: '2.50' },
    { sku: 'SHARED-SKU-1', store: 'ZEBRA', price: '2.50' },
  ]);
  const later = new Date(Date.now() + 86_400_000).toISOString();
  await adminApi('POST', '/api/v1/price-changes', {
    changes: [
      { sku: 'ZEBRA-SKU-1', store: 'ZEBRA', price: '5.00', effectiveAt: later },
      { sku: 'APPLE-SKU-1', store: 'APPLE', price: '5.00', effectiveAt: later },
    ],
  });
  const [sched] = await q<{ id: string }>('SELECT id FROM price_schedules WHERE store_id = ? LIMIT 1', [
    zebra.insertId,
  ]);
  ids.zebraSchedule = String(sched.id);
  const [item] = await q<{ id: string }>('SELECT id FROM task_items WHERE store_id = ? LIMIT 1', [
    zebra.insertId,
  ]);
  ids.zebraItem = String(item.id);
  // Alerts about each store's AP (the evaluator is slowed down so that it leaves them be).
  await execute(
    pool,
    `INSERT INTO alerts (kind, subject, state, summary, active_key) VALUES
      ('ap_offline_minutes', 'GID_ZEBRA@@@zebra-ap', 'open', 'AP GID_ZEBRA@@@zebra-ap offline', 'a|zebra'),
      ('ap_offline_minutes', 'GID_APPLE@@@apple-ap', 'open', 'AP GID_APPLE@@@apple-ap offline', 'a|apple')`,
  );
  const [alert] = await q<{ id: string }>("SELECT id FROM alerts WHERE subject LIKE 'GID_ZEBRA%'");
  ids.zebraAlert = String(alert.id);
  // An import of the admin's with a Zebra row, waiting for its confirmation.
  const imp = await admin.post(
    '/catalog/imports',
    { csv: 'sku,store,price\nZEBRA-SKU-1,ZEBRA,6.00\n' },
    '/catalog/imports',
  );
  expect(imp.status, imp.text.slice(0, 500)).toBe(302);
  ids.zebraImport = /\/catalog\/imports\/([0-9a-f]{32})/.exec(imp.location!)![1];
  const [ih] = await q<{ content_hash: string }>('SELECT content_hash FROM price_imports WHERE id = ?', [
    ids.zebraImport,
  ]);
  ids.zebraImportHash = ih.content_hash;
  const [rec] = await q<{ id: string }>(
    "SELECT id FROM audit_log WHERE refs LIKE '% store:ZEBRA %' ORDER BY id LIMIT 1",
  );
  ids.zebraAudit = String(rec.id);
  // A label command per store (their APs declare no capability: refused, 409, stored with its store).
  const cmd = async (label: string) => {
    const res = await fetch(`${p.baseUrl}/api/v1/labels/${label}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'flash' }),
    });
    const body = (await res.json()) as { command: { id: string } };
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(409);
    return String(body.command.id);
  };
  ids.zebraCommand = await cmd('ZEBRA-L1');
  ids.appleCommand = await cmd('APPLE-L1');
}

/** Scoped users and key, limited to Apple Inland through the admin pages. */
async function scopedIdentities() {
  for (const role of ['operator', 'auditor'] as const) {
    const username = `scoped-${role}`;
    expect((await admin.createUser({ username, role, password: PASSWORD })).status).toBe(200);
    const [u] = await q<{ id: number }>('SELECT id FROM users WHERE username = ?', [username]);
    const r = await admin.post(`/admin/users/${u.id}/stores`, { stores: ids.apple }, '/admin/users');
    expect(r.status).toBe(302);
    const c = new WebClient(p.baseUrl);
    await c.login(username, PASSWORD);
    clients[role] = c;
  }
  await admin.get('/admin/api-keys');
  // Two scopes and a store, as the form's checkboxes post them.
  const issued = await admin.request('POST', '/admin/api-keys', {
    form: {
      _csrf: admin.lastCsrf,
      name: 'scoped key',
      scopes: ['prices:write', 'tasks:read'],
      stores: ids.apple,
    },
  });
  expect(issued.status, issued.text.slice(0, 300)).toBe(200);
  scopedKey = /data-testid="issued-key">([^<]+)</.exec(issued.text)![1];
  // A key of the audit trail's readers, limited to the same store.
  await admin.get('/admin/api-keys');
  const audit = await admin.request('POST', '/admin/api-keys', {
    form: { _csrf: admin.lastCsrf, name: 'scoped audit key', scopes: 'audit:read', stores: ids.apple },
  });
  expect(audit.status, audit.text.slice(0, 300)).toBe(200);
  auditKey = /data-testid="issued-key">([^<]+)</.exec(audit.text)![1];
}

async function call(who: Who | 'admin', c: Call, stream = false) {
  const method = c.method ?? 'GET';
  if (stream && !isKey(who)) {
    const client = who === 'admin' ? admin : clients[who]!;
    return client.firstEvent(c.url);
  }
  const api = c.url.startsWith('/api/v1/');
  if (isKey(who) || (who === 'admin' && api)) {
    const res = await fetch(p.baseUrl + c.url, {
      method,
      redirect: 'manual',
      headers: {
        authorization: `Bearer ${who === 'api' ? scopedKey : who === 'auditKey' ? auditKey : adminKey}`,
        accept: api ? 'application/json' : 'text/html',
        ...(c.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(c.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: c.json !== undefined ? JSON.stringify(c.json) : c.form ? new URLSearchParams(c.form) : undefined,
    });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  }
  const client = who === 'admin' ? admin : clients[who]!;
  if (method === 'GET')
    return client.request('GET', c.url, api ? { headers: { accept: 'application/json' } } : {});
  await client.get('/account/password'); // a fresh CSRF token
  if (c.json !== undefined)
    return client.request(method, c.url, { json: c.json, headers: { 'x-csrf-token': client.lastCsrf } });
  return client.request(method, c.url, { form: { _csrf: client.lastCsrf, ...(c.form ?? {}) } });
}

const denied = (r: { status: number; location: string | null }) =>
  r.status === 401 || r.status === 403 || (r.status === 302 && (r.location ?? '').startsWith('/login'));

const READ_WEB: Who[] = ['operator', 'auditor'];
const READ_API: Who[] = ['operator', 'auditor', 'api'];
const WRITE_WEB: Who[] = ['operator'];
const WRITE_API: Who[] = ['operator', 'api'];

function decisions(): Record<string, Decision> {
  const filter = (url: string, roles: Who[] = READ_WEB, extra: Partial<Decision> = {}): Decision =>
    ({ kind: 'filter', call: { url }, roles, ...extra }) as Decision;
  const refuse = (call: Call, roles: Who[], status: number, names?: true): Decision => ({
    kind: 'refuse',
    call: { method: 'POST', ...call },
    roles,
    status,
    ...(names ? { names } : {}),
  });
  const none = (call: Call | null, why: string, roles: Who[] = READ_WEB): Decision => ({
    kind: 'none',
    call,
    roles,
    why,
  });
  const pub = (url: string | null): Decision => ({ kind: 'public', call: url ? { url } : null });
  return {
    // signed out, static, or the reader's own account
    'GET /healthz': pub('/healthz'),
    'GET /readyz': pub('/readyz'),
    'GET /login': pub('/login'),
    'POST /login': pub(null),
    'POST /logout': pub(null),
    'GET /account/password': none({ url: '/account/password' }, "the reader's own account"),
    'POST /account/password': none(null, "the reader's own password"),
    'POST /account/preferences': none(null, "the reader's own language and time zone"),
    'GET /static/vendor/chart.umd.min.js': pub('/static/vendor/chart.umd.min.js'),
    'GET /api/docs': pub('/api/docs'),
    'GET /api/docs/assets/:file': pub(null),
    'GET /api/v1/openapi.json': pub('/api/v1/openapi.json'),

    // dashboard and health
    'GET /': filter('/', READ_WEB, { tasks: true }),
    'GET /dashboard.json': filter('/dashboard.json', READ_WEB, { tasks: true }),
    'GET /dashboard/events': filter('/dashboard/events', READ_WEB, { tasks: true, stream: true }),
    'GET /health/labels': filter('/health/labels', READ_WEB, { inScope: /APPLE-L1/ }),
    'GET /health/aps/:clientId': refuse(
      { method: 'GET', url: `/health/aps/${encodeURIComponent('GID_ZEBRA@@@zebra-ap')}` },
      READ_WEB,
      404,
    ),

    // catalog
    'GET /catalog/products': filter('/catalog/products', READ_WEB, { inScope: /APPLE-SKU-1/ }),
    'POST /catalog/products': none(null, 'a new product is priced in no store yet'),
    'GET /catalog/products/:id': refuse(
      { method: 'GET', url: `/catalog/products/${'{zebraProduct}'}` },
      READ_WEB,
      404,
    ),
    'POST /catalog/products/:id': refuse(
      { url: '/catalog/products/{zebraProduct}', form: { name: 'Renamed', unit: 'pcs', currency: 'CNY' } },
      WRITE_WEB,
      403,
      true,
    ),
    'POST /catalog/products/:id/prices': refuse(
      { url: '/catalog/products/{bothProduct}/prices', form: { stores: 'ZEBRA', price: '9.99' } },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /catalog/stores': filter('/catalog/stores', READ_WEB, { inScope: /Apple Inland/ }),
    'POST /catalog/stores': { kind: 'role' },
    'GET /catalog/stores/:id': refuse({ method: 'GET', url: '/catalog/stores/{zebra}' }, READ_WEB, 404),
    'POST /catalog/stores/:id': { kind: 'role' },
    'POST /catalog/stores/:id/groups': { kind: 'role' },
    'POST /catalog/stores/:id/quiet-hours': { kind: 'role' },
    'POST /catalog/stores/:id/groups/remove': { kind: 'role' },
    'GET /catalog/labels': filter('/catalog/labels', READ_WEB, { inScope: /APPLE-L1/ }),
    'POST /catalog/labels': refuse(
      { url: '/catalog/labels', form: { group: '{zebra}|GID_ZEBRA', labelIds: 'ZEBRA-NEW-1' } },
      WRITE_WEB,
      403,
      true,
    ),
    'POST /catalog/labels/bind': refuse(
      { url: '/catalog/labels/bind', form: { labelId: 'ZEBRA-L1', sku: 'SHARED-SKU-1' } },
      WRITE_WEB,
      403,
      true,
    ),
    'POST /catalog/labels/unbind': refuse(
      { url: '/catalog/labels/unbind', form: { labelId: 'ZEBRA-L1' } },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /catalog/labels/:labelId': refuse({ method: 'GET', url: '/catalog/labels/ZEBRA-L1' }, READ_WEB, 404),
    'POST /catalog/labels/:labelId/model': refuse(
      { url: '/catalog/labels/ZEBRA-L1/model', form: { model: 'bwr-290' } },
      WRITE_WEB,
      403,
      true,
    ),
    'POST /catalog/labels/:labelId/commands': refuse(
      { url: '/catalog/labels/ZEBRA-L1/commands', form: { command: 'flash' } },
      WRITE_WEB,
      403,
      true,
    ),
    'POST /catalog/products/:id/label-commands': refuse(
      { url: '/catalog/products/{bothProduct}/label-commands', form: { command: 'flash', store: 'ZEBRA' } },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /commands': filter('/commands', READ_WEB, { inScope: /APPLE-L1/ }),
    // a label of another store is not found (the page says so, naming only what was asked)
    'GET /aisle': refuse({ method: 'GET', url: '/aisle?label=ZEBRA-L1' }, WRITE_WEB, 200),
    'POST /aisle/bind': refuse(
      { url: '/aisle/bind', form: { label: 'ZEBRA-L1', sku: 'SHARED-SKU-1', confirm: '1' } },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /catalog/schedules': filter('/catalog/schedules?state=pending', READ_WEB, {
      inScope: /APPLE-SKU-1/,
    }),
    'POST /catalog/schedules/:id/cancel': refuse(
      { url: '/catalog/schedules/{zebraSchedule}/cancel' },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /catalog/imports': none({ url: '/catalog/imports' }, 'the upload form', WRITE_WEB),
    'GET /catalog/imports/template.csv': none(
      { url: '/catalog/imports/template.csv' },
      'an empty template',
      WRITE_WEB,
    ),
    'POST /catalog/imports': refuse(
      { url: '/catalog/imports', form: { csv: 'sku,store,price\nZEBRA-SKU-1,ZEBRA,7.00\n' } },
      WRITE_WEB,
      400,
      true,
    ),
    'GET /catalog/imports/:id': refuse(
      { method: 'GET', url: '/catalog/imports/{zebraImport}' },
      READ_WEB,
      404,
    ),
    'POST /catalog/imports/:id/confirm': refuse(
      { url: '/catalog/imports/{zebraImport}/confirm', form: { hash: '{zebraImportHash}' } },
      WRITE_WEB,
      403,
      true,
    ),

    // tasks
    'GET /tasks': filter('/tasks', READ_WEB, { tasks: true }),
    'GET /tasks/active.json': filter('/tasks/active.json', READ_WEB, { tasks: true }),
    'GET /tasks/:id': refuse({ method: 'GET', url: '/tasks/{zebraTask}' }, READ_WEB, 404),
    'GET /tasks/:id/events': refuse({ method: 'GET', url: '/tasks/{zebraTask}/events' }, READ_WEB, 404),
    'POST /tasks/:id/cancel': refuse({ url: '/tasks/{mixedTask}/cancel' }, WRITE_WEB, 403, true),
    'POST /tasks/:id/retry': refuse({ url: '/tasks/{mixedTask}/retry' }, WRITE_WEB, 403, true),

    // devices
    'GET /devices/aps': filter('/devices/aps', READ_WEB, { inScope: /apple-ap/ }),
    'GET /devices/mismatches': filter('/devices/mismatches', READ_WEB, { inScope: /APPLE-L1/ }),

    // alerts
    'GET /alerts': filter('/alerts', READ_WEB, { inScope: /apple-ap/ }),
    'POST /alerts/:id/acknowledge': refuse({ url: '/alerts/{zebraAlert}/acknowledge' }, WRITE_WEB, 403, true),
    'POST /alerts/:id/resolve': refuse({ url: '/alerts/{zebraAlert}/resolve' }, WRITE_WEB, 403, true),
    'GET /alerts/rules': none({ url: '/alerts/rules' }, 'thresholds, the same for every store'),
    'POST /alerts/rules': { kind: 'role' },

    // audit (auditors and admins)
    'GET /audit': filter('/audit', ['auditor']),
    'GET /audit/export.csv': filter('/audit/export.csv', ['auditor']),
    'GET /audit/records/:id': refuse({ method: 'GET', url: '/audit/records/{zebraAudit}' }, ['auditor'], 404),
    'GET /audit/verify': none({ url: '/audit/verify' }, 'the hash chain check: record ids and counts', [
      'auditor',
    ]),

    // rendering
    'GET /render/templates': filter('/render/templates', READ_WEB),
    'GET /render/templates/new': refuse({ method: 'GET', url: '/render/templates/new' }, WRITE_WEB, 403),
    'GET /render/templates/:id': none({ url: '/render/templates/1' }, 'a layout, shared by every store'),
    'POST /render/templates': refuse(
      { url: '/render/templates', form: { model: 'bwr-290' } },
      WRITE_WEB,
      403,
    ),
    'POST /render/templates/:id': refuse(
      { url: '/render/templates/1', form: { model: 'bwr-290' } },
      WRITE_WEB,
      403,
    ),
    'POST /render/preview': refuse(
      { url: '/render/preview', json: { model: 'bwr-290', sku: 'SHARED-SKU-1', store: '{zebra}' } },
      READ_WEB,
      404,
    ),
    'POST /render/assignments': refuse(
      { url: '/render/assignments', form: { model: 'bwr-290', store: '{zebra}', templateId: 'builtin' } },
      WRITE_WEB,
      403,
      true,
    ),
    'GET /render/tasks/:taskId': refuse({ method: 'GET', url: '/render/tasks/{zebraTask}' }, READ_WEB, 404),
    'GET /render/items/:itemId.png': refuse(
      { method: 'GET', url: '/render/items/{zebraItem}.png' },
      READ_WEB,
      404,
    ),
    'GET /render/labels/:labelId/with-price.png': refuse(
      { method: 'GET', url: '/render/labels/ZEBRA-L1/with-price.png?price=1.00' },
      READ_WEB,
      404,
    ),
    'GET /render/images/:hash.png': none(
      { url: `/render/images/${'0'.repeat(64)}.png` },
      'content-addressed: a PNG found by the SHA-256 of its bytes, which only its label pages show',
    ),
    'GET /render/products/:id/stores/:storeId/image.png': refuse(
      { method: 'GET', url: '/render/products/{bothProduct}/stores/{zebra}/image.png' },
      READ_WEB,
      404,
    ),
    'POST /render/products/:id/details': refuse(
      { url: '/render/products/{bothProduct}/details', form: { category: 'drinks' } },
      WRITE_WEB,
      403,
      true,
    ),

    // /api/v1
    'GET /api/v1/stores': filter('/api/v1/stores', READ_API, { inScope: /Apple Inland/ }),
    'POST /api/v1/stores': { kind: 'role' },
    'POST /api/v1/stores/:code/groups': { kind: 'role' },
    'PUT /api/v1/stores/:code/quiet-hours': { kind: 'role' },
    'GET /api/v1/products': filter('/api/v1/products', READ_API, { inScope: /APPLE-SKU-1/ }),
    'POST /api/v1/products': refuse(
      { url: '/api/v1/products', json: { items: [{ sku: 'SHARED-SKU-1', name: 'Renamed water' }] } },
      WRITE_API,
      400,
      true,
    ),
    'POST /api/v1/labels': refuse(
      {
        url: '/api/v1/labels',
        json: { items: [{ labelId: 'ZEBRA-NEW-2', store: 'ZEBRA', sku: 'ZEBRA-SKU-1' }] },
      },
      WRITE_API,
      400,
      true,
    ),
    'POST /api/v1/price-changes': refuse(
      {
        url: '/api/v1/price-changes',
        json: { changes: [{ sku: 'SHARED-SKU-1', store: 'ZEBRA', price: '8.00' }] },
      },
      WRITE_API,
      403,
      true,
    ),
    'GET /api/v1/tasks/:id': refuse({ method: 'GET', url: '/api/v1/tasks/{zebraTask}' }, READ_API, 404),
    'GET /api/v1/tasks/:id/items': refuse(
      { method: 'GET', url: '/api/v1/tasks/{zebraTask}/items' },
      READ_API,
      404,
    ),
    'POST /api/v1/tasks/:id/cancel': refuse(
      { url: '/api/v1/tasks/{mixedTask}/cancel', json: {} },
      WRITE_API,
      403,
      true,
    ),
    'POST /api/v1/tasks/:id/retry': refuse(
      { url: '/api/v1/tasks/{mixedTask}/retry', json: {} },
      WRITE_API,
      403,
      true,
    ),
    'GET /api/v1/products/:sku/price-history': filter(
      '/api/v1/products/SHARED-SKU-1/price-history',
      READ_API,
      {
        inScope: /"store":"APPLE"/,
      },
    ),
    'GET /api/v1/tasks': filter('/api/v1/tasks', READ_API, { tasks: true }),
    'GET /api/v1/labels': filter('/api/v1/labels', READ_API, { inScope: /APPLE-L1/ }),
    'POST /api/v1/labels/unbind': refuse(
      { url: '/api/v1/labels/unbind', json: { items: [{ labelId: 'ZEBRA-L1' }] } },
      WRITE_API,
      400,
      true,
    ),
    'POST /api/v1/labels/move': refuse(
      { url: '/api/v1/labels/move', json: { items: [{ labelId: 'ZEBRA-L1', store: 'APPLE' }] } },
      WRITE_API,
      400,
      true,
    ),
    'POST /api/v1/labels/:labelId/commands': refuse(
      { url: '/api/v1/labels/ZEBRA-L1/commands', json: { command: 'flash' } },
      WRITE_API,
      403,
      true,
    ),
    'GET /api/v1/labels/:labelId/commands': filter('/api/v1/labels/ZEBRA-L1/commands', READ_API),
    'GET /api/v1/label-commands/:id': refuse(
      { method: 'GET', url: '/api/v1/label-commands/{zebraCommand}' },
      READ_API,
      404,
    ),
    'POST /api/v1/products/:sku/label-commands': refuse(
      { url: '/api/v1/products/SHARED-SKU-1/label-commands', json: { command: 'flash', store: 'ZEBRA' } },
      WRITE_API,
      403,
      true,
    ),
    'GET /api/v1/alerts': filter('/api/v1/alerts', READ_API, { inScope: /apple-ap/ }),
    // the audit trail's readers: auditors (and admins, and keys with audit:read)
    'GET /api/v1/audit': filter('/api/v1/audit?source=local', ['auditor', 'auditKey']),
    'GET /api/v1/audit/evidence': refuse(
      { method: 'GET', url: '/api/v1/audit/evidence?sku=ZEBRA-SKU-1&store=ZEBRA&source=local' },
      ['auditor', 'auditKey'],
      403,
      true,
    ),
    'GET /api/v1/aps': filter('/api/v1/aps', READ_API, { inScope: /apple-ap/ }),
    'GET /api/v1/labels/mismatches': filter('/api/v1/labels/mismatches', READ_API, { inScope: /APPLE-L1/ }),
    'GET /api/v1/labels/:labelId/image': refuse(
      { method: 'GET', url: '/api/v1/labels/ZEBRA-L1/image' },
      READ_API,
      404,
    ),
  };
}

/** Routes only admins reach, by prefix: users, keys, the MQTT registry, webhooks. */
const ADMIN_PREFIXES = ['/admin/', '/api/v1/registry', '/api/v1/webhooks'];

function registered(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const out: string[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const path of [layer.route.path].flat())
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
  }
  return [...new Set(out)];
}

/** The body without what the request itself said (an error may echo the id it was asked for). */
function echoFree(text: string, c: Call): string {
  const said = [
    ...decodeURIComponent(c.url).split(/[/?=&.]/),
    ...Object.values(c.form ?? {}),
    ...(c.json !== undefined ? JSON.stringify(c.json).split(/[^A-Za-z0-9@_-]+/) : []),
  ].filter((t) => ZEBRA.test(t));
  said.push(...said.map(encodeURIComponent));
  return said.reduce((t, w) => t.split(w).join(''), text);
}

const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_m, k: string) => ids[k] ?? `{${k}}`);
const filled = (c: Call): Call => ({
  ...c,
  url: fill(c.url),
  ...(c.form ? { form: Object.fromEntries(Object.entries(c.form).map(([k, v]) => [k, fill(v)])) } : {}),
  ...(c.json !== undefined ? { json: JSON.parse(fill(JSON.stringify(c.json))) } : {}),
});

beforeAll(async () => {
  p = await startTestPlatform({ ALERT_INTERVAL_MS: '3600000' });
  admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  await admin.get('/admin/api-keys');
  const r = await admin.request('POST', '/admin/api-keys', {
    form: { _csrf: admin.lastCsrf, name: 'admin key', scopes: 'admin' },
  });
  adminKey = /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
  await seed();
  await scopedIdentities();
}, 120_000);
afterAll(() => p?.close());

describe('store scope: route x role x scope', () => {
  it('has a decision for every registered route, and none for a route that is gone', () => {
    const http = p.services.find((s): s is HttpService => s instanceof HttpService)!;
    const routes = registered(http.app);
    expect(routes).toContain('GET /tasks/:id');
    expect(routes).toContain('POST /api/v1/price-changes');
    const d = decisions();
    const admin = (r: string) => ADMIN_PREFIXES.some((pre) => r.split(' ')[1].startsWith(pre));
    expect(routes.filter((r) => !d[r] && !admin(r))).toEqual([]);
    expect(Object.keys(d).filter((k) => !routes.includes(k))).toEqual([]);
  });

  it('the scoped identities carry their store and nothing else', async () => {
    const [row] = await q<{ n: number }>('SELECT COUNT(*) AS n FROM user_stores');
    expect(Number(row.n)).toBe(2);
    const keys = await q<{ store_id: number }>('SELECT store_id FROM api_key_stores');
    expect(keys.map((k) => String(k.store_id))).toEqual([ids.apple, ids.apple]);
    // the admin pages show the scope by store name, and the change is audited
    expect((await admin.get('/admin/users')).text).toMatch(/data-testid="user-stores">[\s\S]*?Apple Inland/);
    expect((await admin.get('/admin/api-keys')).text).toContain('Apple Inland');
    const audit = await q<{ n: number }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.stores_changed'",
    );
    expect(Number(audit[0].n)).toBe(2);
  });

  it("gives a scoped reader the diagnosis of its stores' labels only, totals included", async () => {
    // The mixed task has one label per store, each behind its store's offline AP.
    const json = async (who: Who | 'admin', url: string) => {
      const r = await call(who, { url });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      return JSON.parse(r.text);
    };
    const whole = await json('admin', `/api/v1/tasks/${ids.mixedTask}`);
    expect(whole.forecast).toMatchObject({ open: 2, blocked: 2, willMiss: 2, onTrack: 0 });
    expect(whole.blocked.map((b: { groupId: string }) => b.groupId).sort()).toEqual([
      'GID_APPLE',
      'GID_ZEBRA',
    ]);
    const adminDash = await json('admin', '/dashboard.json');
    expect(adminDash.tasks).toMatchObject({ stuck: 3, willMiss: 4 });
    for (const who of ['operator', 'auditor', 'api'] as const) {
      const t = await json(who, `/api/v1/tasks/${ids.mixedTask}`);
      expect(t.blocked, who).toEqual([
        expect.objectContaining({ reason: 'ap_offline', groupId: 'GID_APPLE', labels: 1 }),
      ]);
      expect(t.forecast, who).toMatchObject({ open: 1, blocked: 1, willMiss: 1, onTrack: 0 });
      const list = await json(who, '/api/v1/tasks');
      const inList = list.tasks.find((x: { id: string }) => String(x.id) === ids.mixedTask);
      expect(inList.forecast, who).toMatchObject({ open: 1, blocked: 1, willMiss: 1 });
    }
    for (const who of ['operator', 'auditor'] as const) {
      const dash = await json(who, '/dashboard.json');
      // the Apple task (1 label) and the Apple half of the mixed one
      expect(dash.tasks, who).toMatchObject({ stuck: 2, willMiss: 2 });
      const mixed = dash.tasks.stuckTasks.find((x: { id: string }) => x.id === ids.mixedTask);
      expect(mixed, who).toMatchObject({ willMiss: 1, open: 1 });
      // the task list's live part
      const live = await json(who, '/tasks/active.json');
      const row = live.tasks.find((x: { id: string }) => String(x.id) === ids.mixedTask);
      expect(row.forecast, who).toMatchObject({ open: 1, blocked: 1, willMiss: 1 });
    }
  });

  const d = decisions();
  const zebraTaskMarkers = () => [
    new RegExp(`data-task="${ids.zebraTask}"`),
    new RegExp(`"id":"${ids.zebraTask}"`),
    new RegExp(`/tasks/${ids.zebraTask}"`),
  ];

  for (const [route, decision] of Object.entries(d)) {
    it(`${route}: ${decision.kind}`, async () => {
      if (decision.kind === 'public') {
        if (!decision.call) return;
        for (const who of WHO) {
          const r = await call(who, decision.call);
          expect(r.text, `${who} ${route}`).not.toMatch(ZEBRA);
        }
        return;
      }
      if (decision.kind === 'role') {
        const path = route.split(' ')[1].replace(/:(\w+)/g, '1');
        const method = route.split(' ')[0];
        for (const who of WHO) {
          const r = await call(who, { method, url: path, ...(method === 'GET' ? {} : { form: {} }) });
          expect(denied(r), `${who} ${route}: ${r.status} ${r.text.slice(0, 200)}`).toBe(true);
        }
        return;
      }
      if (decision.kind === 'none') {
        if (!decision.call) return;
        for (const who of WHO) {
          const r = await call(who, filled(decision.call));
          if (!decision.roles.includes(who)) {
            expect(denied(r), `${who} ${route}: ${r.status}`).toBe(true);
            continue;
          }
          expect(r.text, `${who} ${route}`).not.toMatch(ZEBRA);
        }
        return;
      }
      const c = filled(decision.call);
      if (decision.kind === 'filter') {
        // An unscoped admin sees the Zebra store's data here: the check below is not vacuous.
        if (decision.adminSees !== false) {
          const a = await call('admin', c, decision.stream);
          expect(a.status, a.text.slice(0, 300)).toBe(200);
          const seen =
            ZEBRA.test(a.text) || (!!decision.tasks && zebraTaskMarkers().some((m) => m.test(a.text)));
          expect(seen, `admin sees zebra at ${c.url}`).toBe(true);
        }
        for (const who of WHO) {
          const r = await call(who, c, decision.stream);
          if (!decision.roles.includes(who)) {
            expect(denied(r), `${who} ${route}: ${r.status}`).toBe(true);
            continue;
          }
          expect(r.status, `${who} ${route}: ${r.text.slice(0, 300)}`).toBe(200);
          expect(r.text, `${who} ${route}`).not.toMatch(ZEBRA);
          if (decision.tasks)
            for (const m of zebraTaskMarkers()) expect(r.text, `${who} ${route}`).not.toMatch(m);
          if (decision.inScope)
            expect(r.text, `${who} ${route} shows its own store`).toMatch(decision.inScope);
        }
        return;
      }
      // refuse
      for (const who of WHO) {
        const r = await call(who, c);
        if (!decision.roles.includes(who)) {
          expect(denied(r), `${who} ${route}: ${r.status} ${r.text.slice(0, 200)}`).toBe(true);
          continue;
        }
        expect(r.status, `${who} ${route}: ${r.text.slice(0, 400)}`).toBe(decision.status);
        if (decision.names) expect(r.text, `${who} ${route} names the store`).toContain('Zebra Outland');
        else expect(echoFree(r.text, c), `${who} ${route}`).not.toMatch(ZEBRA);
      }
    });
  }

  it('changes nothing of the Zebra store while refusing', async () => {
    const [price] = await q<{ price: string }>(
      'SELECT price FROM prices WHERE store_id = ? AND product_id = ?',
      [ids.zebra, ids.bothProduct],
    );
    expect(price.price).toBe('2.50');
    const [label] = await q<{ product_id: number }>(
      "SELECT product_id FROM labels WHERE label_id = 'ZEBRA-L1'",
    );
    expect(String(label.product_id)).toBe(ids.zebraProduct);
    expect(await q("SELECT 1 FROM labels WHERE label_id LIKE 'ZEBRA-NEW%'")).toEqual([]);
    const [s] = await q<{ state: string }>('SELECT state FROM price_schedules WHERE id = ?', [
      ids.zebraSchedule,
    ]);
    expect(s.state).toBe('pending');
    const [a] = await q<{ state: string }>('SELECT state FROM alerts WHERE id = ?', [ids.zebraAlert]);
    expect(a.state).toBe('open');
    const [imp] = await q<{ state: string }>('SELECT state FROM price_imports WHERE id = ?', [
      ids.zebraImport,
    ]);
    expect(imp.state).toBe('pending');
    const [t] = await q<{ state: string }>('SELECT state FROM tasks WHERE id = ?', [ids.mixedTask]);
    expect(t.state).not.toBe('cancelled');
    const [prod] = await q<{ name: string }>('SELECT name FROM products WHERE id = ?', [ids.bothProduct]);
    expect(prod.name).toBe('Shared water');
  });

  it('lets the scoped operator change its own store', async () => {
    const op = clients.operator!;
    const r = await op.post(
      `/catalog/products/${ids.bothProduct}/prices`,
      { stores: 'APPLE', price: '2.75' },
      `/catalog/products/${ids.bothProduct}`,
    );
    expect(r.status, r.text.slice(0, 300)).toBe(302);
    const [price] = await q<{ price: string }>(
      'SELECT price FROM prices WHERE store_id = ? AND product_id = ?',
      [ids.apple, ids.bothProduct],
    );
    expect(price.price).toBe('2.75');
    // "all stores" means all of its stores
    const all = await op.post(
      `/catalog/products/${ids.bothProduct}/prices`,
      { allStores: '1', price: '2.80' },
      `/catalog/products/${ids.bothProduct}`,
    );
    expect(all.status).toBe(302);
    const rows = await q<{ store_id: number; price: string }>(
      'SELECT store_id, price FROM prices WHERE product_id = ? ORDER BY store_id',
      [ids.bothProduct],
    );
    expect(rows.map((x) => [String(x.store_id), x.price])).toEqual([
      [ids.apple, '2.80'],
      [ids.zebra, '2.50'],
    ]);
    // and the mixed task, seen through the scope, holds only its store's label
    const items = await call('api', { url: `/api/v1/tasks/${ids.mixedTask}/items` });
    expect(items.status).toBe(200);
    expect(items.text).toContain('APPLE-LB1');
    expect(items.text).not.toContain('ZEBRA-LB1');
  });
});
