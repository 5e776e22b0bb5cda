// The auditor's pages on a whole platform whose shipper sends to the fake SLS: the same
// questions answered from SLS (GetLogs, real SDK) and from the local store, page for page.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, type Actor, type AuditEvent } from '../../server/audit/audit-chain.js';
import { appendAudit, readAuditAfter, readChainHead } from '../../server/audit/audit-repo.js';
import { withTx } from '../../server/db/pool.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import type { FakeSlsServer } from '../support/sls-server.js';
import { WebClient } from '../support/web-client.js';
import { shippedUpTo, slsClientFor, slsEnv, startFakeSls } from './support/audit-env.js';
import { execute } from '../../server/db/query.js';

let sls: FakeSlsServer;
let p: TestPlatform;
let auditor: WebClient;
let operator: WebClient;

const AP = 'GID_S001@@@AP-0001';
const alice: Actor = { name: 'alice', role: 'operator', requestId: 'req-alice-1', ip: '10.1.1.1' };
const bob: Actor = { name: 'bob', role: 'operator', requestId: 'req-bob-1', ip: '10.1.1.2' };
const device: Actor = { name: AP, role: 'device' };
const system: Actor = { name: 'system', role: 'system' };
const at = (s: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, s));

async function record(actor: Actor, when: Date, e: AuditEvent) {
  const [r] = await withTx(p.ctx.pool, (c) => appendAudit(c, actor, [e], when));
  return r.id;
}

async function createUser(role: string) {
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  const res = await admin.createUser({ username, role, password: 'a-long-password-123' });
  expect(res.status).toBe(200);
  const c = new WebClient(p.baseUrl);
  await c.login(username, 'a-long-password-123');
  return c;
}

/** Waits until the shipper has sent everything written so far. */
async function synced() {
  await shippedUpTo(p.ctx.pool, (await readChainHead(p.ctx.pool)).lastId);
}

const results = (html: string) =>
  /<table class="grid" data-testid="results">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? null;
const rowIds = (html: string) => [...(results(html) ?? '').matchAll(/<tr data-id="(\d+)"/g)].map((m) => m[1]);

/** The page from SLS and from the local store; asserts both are the same and came from where they say. */
async function both(qs: string) {
  const gets = sls.getRequests;
  const fromSls = await auditor.get(`/audit?${qs}`);
  expect(fromSls.status).toBe(200);
  expect(fromSls.text).toContain('data-testid="audit-source">SLS<');
  expect(sls.getRequests).toBeGreaterThan(gets);
  const fromLocal = await auditor.get(`/audit?${qs}${qs ? '&' : ''}source=local`);
  expect(fromLocal.status).toBe(200);
  expect(fromLocal.text).toContain('the local store (MySQL)');
  expect(results(fromSls.text)).not.toBeNull();
  expect(results(fromSls.text)).toEqual(results(fromLocal.text));
  return { ids: rowIds(fromSls.text), sls: fromSls.text, local: fromLocal.text };
}

const story: Record<string, string> = {};

beforeAll(async () => {
  sls = await startFakeSls();
  p = await startTestPlatform({ ...slsEnv(sls), AUDIT_SHIP_INTERVAL_MS: '50' });
  auditor = await createUser('auditor');
  operator = await createUser('operator');
  const task = { sku: '690123', store: 'S001', task: 12 };
  story.change = await record(alice, at(1), {
    action: 'price.changed',
    objectType: 'task',
    objectId: '12',
    refs: task,
    summary: 'price of 690123 in S001: 10.99 -> 9.99',
    before: { price: '10.99' },
    after: { price: '9.99' },
  });
  story.dispatch = await record(system, at(2), {
    action: 'task.dispatched',
    objectType: 'task',
    objectId: '12',
    refs: { store: 'S001', task: 12, ap: AP },
  });
  story.ok1 = await record(device, at(3), {
    action: 'label.confirmed',
    objectType: 'label',
    objectId: 'ESL-1',
    refs: { ...task, label: 'ESL-1', ap: AP },
  });
  story.ok2 = await record(device, at(3), {
    action: 'label.confirmed',
    objectType: 'label',
    objectId: 'ESL-2',
    refs: { ...task, label: 'ESL-2', ap: AP },
  });
  story.fail3 = await record(device, at(4), {
    action: 'label.failed',
    objectType: 'label',
    objectId: 'ESL-3',
    refs: { ...task, label: 'ESL-3', ap: AP },
    summary: 'battery low',
  });
  story.otherStore = await record(bob, at(5), {
    action: 'price.changed',
    objectType: 'task',
    objectId: '13',
    refs: { sku: '690123', store: 'S002', task: 13 },
  });
  story.otherSku = await record(alice, at(6), {
    action: 'price.changed',
    objectType: 'task',
    objectId: '14',
    refs: { sku: '6901234', store: 'S001', task: 14 },
  });
  story.hostile = await record(bob, at(7), {
    action: 'product.renamed',
    objectType: 'sku',
    objectId: '690999',
    refs: { sku: '690999' },
    summary: '=HYPERLINK("http://evil.example/x","click") <script>alert(1)</script>',
  });
  for (let i = 0; i < 60; i++) {
    await record({ name: 'carol', role: 'admin' }, at(10 + i), {
      action: 'product.updated',
      objectType: 'sku',
      objectId: `7${i}`,
      refs: { sku: `7${i}` },
    });
  }
  await synced();
});
afterAll(async () => {
  await p?.close();
  await sls?.stop();
});

describe('auditor pages', () => {
  it('lets auditors and admins read the trail, and nobody else', async () => {
    expect((await auditor.get('/audit')).status).toBe(200);
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    expect((await admin.get('/audit')).status).toBe(200);
    expect((await operator.get('/audit')).status).toBe(403);
    expect((await operator.get('/audit/export.csv')).status).toBe(403);
    expect((await operator.get('/audit/verify')).status).toBe(403);
    const anonymous = await new WebClient(p.baseUrl).get('/audit');
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toContain('/login');
    expect((await auditor.get('/')).text).toContain('href="/audit"');
    expect((await operator.get('/')).text).not.toContain('href="/audit"');
  });

  it('answers "who changed the price of SKU X in store Y, when, and which labels confirmed it" the same from SLS and the local store', async () => {
    const { ids, sls: page } = await both('sku=690123&store=S001');
    expect(ids).toEqual([story.fail3, story.ok2, story.ok1, story.change]);
    expect(page).toContain('alice');
    expect(page).toContain('2026-03-01T10:00:01.000Z');
    expect(page).toMatch(/label\.confirmed[\s\S]*ESL-2[\s\S]*label\.confirmed[\s\S]*ESL-1/);
  });

  it('gives the same answers from both stores for every kind of condition', async () => {
    const cases: [string, string[]][] = [
      ['actor=bob', [story.hostile, story.otherStore]],
      ['action=price.changed&store=S001', [story.otherSku, story.change]],
      ['task=12', [story.fail3, story.ok2, story.ok1, story.dispatch, story.change]],
      ['label=ESL-2', [story.ok2]],
      [`ap=${encodeURIComponent(AP)}&action=label.failed`, [story.fail3]],
      ['q=battery', [story.fail3]],
      ['q=10.99', [story.change]],
      ['q=batt', []],
      ['sku=6901234', [story.otherSku]],
      ['from=2026-03-01T10:00:03Z&to=2026-03-01T10:00:05Z', [story.fail3, story.ok2, story.ok1]],
      // the form's wall time is the reader's (Asia/Shanghai here, UTC+8)
      ['from=2026-03-01T18:00:03&to=2026-03-01T18:00:05', [story.fail3, story.ok2, story.ok1]],
      // Token runs, whatever the punctuation between them, the same in SLS and in MySQL.
      ['q=S001%20task', [story.otherSku, story.fail3, story.ok2, story.ok1, story.dispatch, story.change]],
      [`q=${encodeURIComponent('price.changed(')}`, [story.otherSku, story.otherStore, story.change]],
      // A quote in the question cannot break out of the SLS phrase (or the MySQL pattern).
      [`actor=${encodeURIComponent('x" or actor: "bob')}`, []],
      [`q=${encodeURIComponent('.*')}`, []],
    ];
    for (const [qs, want] of cases) expect({ qs, ids: (await both(qs)).ids }).toEqual({ qs, ids: want });
  });

  it('pages through a long answer by record id, page for page the same from both stores', async () => {
    const first = await both('actor=carol');
    expect(first.ids).toHaveLength(50);
    const older = /href="\/audit\?([^"]*before=\d+)" data-testid="older"/
      .exec(first.sls)![1]
      .replace(/&amp;/g, '&');
    const second = await both(older);
    expect(second.ids).toHaveLength(10);
    expect(second.sls).not.toContain('data-testid="older"');
    const all = [...first.ids, ...second.ids].map(Number);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(new Set(all).size).toBe(60);
  });

  it('shows a record once even when SLS holds it twice (a batch sent again after a lost reply)', async () => {
    const again = await readAuditAfter(p.ctx.pool, String(Number(story.change) - 1), 5);
    const client = slsClientFor(sls);
    await client.put(again);
    client.close();
    expect(sls.values('id').filter((id) => id === story.ok1)).toHaveLength(2);
    expect((await both('sku=690123&store=S001')).ids).toEqual([
      story.fail3,
      story.ok2,
      story.ok1,
      story.change,
    ]);
  });

  it('exports the result as CSV, formula cells neutralised, the same from both stores', async () => {
    const fromSls = await auditor.get('/audit/export.csv?actor=bob');
    const fromLocal = await auditor.get('/audit/export.csv?actor=bob&source=local');
    expect(fromSls.status).toBe(200);
    expect(fromSls.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(fromSls.headers.get('content-disposition')).toMatch(/attachment; filename="audit-sls-/);
    expect(fromSls.text).toBe(fromLocal.text);
    // UTF-8 with BOM, so Excel does not read Chinese text in the system code page.
    expect(fromSls.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(fromSls.bytes.subarray(3).toString('utf8')).toBe(fromSls.text);
    const lines = fromSls.text.split('\r\n');
    expect(lines[0]).toBe(
      'id,ts,actor,actorRole,action,objectType,objectId,refs,summary,before,after,requestId,ip,prevHash,hash,summary_text',
    );
    expect(lines).toHaveLength(4); // header, two records, and the final CRLF
    expect(lines[1]).toMatch(
      new RegExp(
        `^${story.hostile},2026-03-01T10:00:07.000Z,bob,operator,product.renamed,sku,690999," sku:690999 ",`,
      ),
    );
    expect(lines[1]).toContain(
      `"'=HYPERLINK(""http://evil.example/x"",""click"") <script>alert(1)</script>"`,
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^${story.otherStore},2026-03-01T10:00:05.000Z,bob,operator,price.changed,task,13," sku:690123 store:S002 task:13 ",,,,req-bob-1,10.1.1.2,[0-9a-f]{64},[0-9a-f]{64},"Price changed, 690123, S002"$`,
      ),
    );
  });

  it('escapes record text and links records to their task page and their references to the trail', async () => {
    const page = (await auditor.get('/audit?q=HYPERLINK')).text;
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const task = (await auditor.get('/audit?task=12')).text;
    expect(task).toContain('href="/tasks/12"');
    expect(task).toContain('href="/audit?label=ESL-1"');
    expect(task).toContain(`href="/audit?ap=${encodeURIComponent(AP)}"`);
  });

  it('says when SLS cannot answer, and the local store still does', async () => {
    await sls.down();
    try {
      const res = await auditor.get('/audit?sku=690123');
      expect(res.status).toBe(503);
      expect(res.text).toContain('SLS could not be queried');
      expect(res.text).toContain('href="/audit?sku=690123&amp;source=local"');
      expect((await auditor.get('/audit/export.csv?sku=690123')).status).toBe(503);
      const local = await auditor.get('/audit?sku=690123&source=local');
      expect(local.status).toBe(200);
      expect(rowIds(local.text)).toContain(story.change);
      const check = await auditor.get('/audit/verify?fromId=1');
      expect(check.status).toBe(200);
      expect(check.text).toContain('data-testid="chain-ok"');
      expect(check.text).toContain('SLS could not be asked for its copies');
    } finally {
      await sls.up();
    }
    sls.fault = 'error';
    try {
      expect((await auditor.get('/audit?sku=690123')).text).toContain('the fake SLS was told to fail');
    } finally {
      sls.fault = 'none';
    }
  });

  it('refuses bad input with a clear message', async () => {
    const bad = async (qs: string, text: string) => {
      const res = await auditor.get(qs);
      expect({ qs, status: res.status }).toEqual({ qs, status: 400 });
      expect(res.text).toContain(text);
    };
    await bad('/audit?from=yesterday', 'a date and time like');
    await bad('/audit?from=2026-03-02T00:00&to=2026-03-01T00:00', 'must be after From');
    await bad('/audit?before=12abc', 'a record id');
    await bad('/audit?source=elsewhere', 'sls or local');
    await bad(`/audit?actor=${'x'.repeat(300)}`, 'at most 190 characters');
    await bad('/audit/verify?fromId=0', 'a record id');
    await bad('/audit?q=%3A%3A%3A', 'needs a letter or digit');
  });

  it('checks the chain from the page and names a record edited directly in MySQL', async () => {
    const ok = await auditor.get('/audit/verify?fromId=1');
    expect(ok.text).toContain('data-testid="chain-ok"');
    const sql = await mysql.createConnection({ uri: p.ctx.mysqlUrl });
    await execute(sql, 'UPDATE audit_log SET after_json = \'{"price":"0.99"}\' WHERE id = ?', [story.change]);
    await sql.end();
    const broken = await auditor.get('/audit/verify?fromId=1');
    expect(broken.text).toContain(`data-break-id="${story.change}"`);
    expect(broken.text).toContain(
      `broken at record #${story.change}: its contents changed after it was written`,
    );
    expect((await auditor.get(`/audit/verify?fromId=1&toId=${Number(story.change) - 1}`)).text).toContain(
      'data-testid="chain-ok"',
    );
  });

  it('catches a chain rewritten and re-hashed in MySQL by comparing with the copies in SLS', async () => {
    await synced();
    const edited = (await auditor.get('/audit/verify?fromId=1')).text; // the edit of the test above
    expect(edited).toContain(`data-testid="sls-mismatch" data-break-id="${story.change}"`);
    expect(edited).toContain('it differs from its copy in SLS (after)');
    // The insider's full job: every hash from the edited record on, and the head, made consistent again.
    const sql = await mysql.createConnection({ uri: p.ctx.mysqlUrl, timezone: 'Z' });
    const from = Number(story.change);
    const [before] = await readAuditAfter(p.ctx.pool, String(from - 2), 1);
    let prev = before.hash;
    let last = '';
    for (const r of await readAuditAfter(p.ctx.pool, String(from - 1), 100_000)) {
      const hash = chainHash(prev, r);
      await execute(sql, 'UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?', [prev, hash, r.id]);
      prev = hash;
      last = r.id;
    }
    await execute(sql, 'UPDATE audit_chain_head SET last_hash = ? WHERE id = 1 AND last_id = ?', [
      prev,
      last,
    ]);
    await sql.end();

    const page = (await auditor.get('/audit/verify?fromId=1')).text;
    expect(page).toContain('data-testid="chain-ok"'); // the local check alone is fooled ...
    expect(page).toContain(`data-testid="sls-mismatch" data-break-id="${story.change}"`); // ... SLS's copy is not
    expect(page).toContain('it differs from its copy in SLS (after)');
    const untouched = (await auditor.get(`/audit/verify?fromId=1&toId=${from - 1}`)).text;
    expect(untouched).toContain('data-testid="sls-match"');
  });
});

describe('roles', () => {
  it('ships only where the worker role runs; a web-only node still reads SLS', async () => {
    const web = await startTestPlatform({ ...slsEnv(sls), ROLES: 'web' });
    try {
      const names = web.services.map((s) => s.name);
      expect(names).toContain('sls-client');
      expect(names).not.toContain('audit-shipper');
    } finally {
      await web.close();
    }
    expect(p.services.map((s) => s.name)).toContain('audit-shipper');
  });
});

describe('auditor pages without SLS', () => {
  it('says the local store is in use, ships nothing, and still answers', async () => {
    const local = await startTestPlatform();
    try {
      expect(local.services.map((s) => s.name)).not.toContain('audit-shipper');
      const admin = new WebClient(local.baseUrl);
      await admin.login('admin', local.adminPassword);
      const page = await admin.get('/audit?action=auth.login');
      expect(page.status).toBe(200);
      expect(page.text).toContain('SLS is not configured: the local store (MySQL) is in use');
      expect(rowIds(page.text).length).toBeGreaterThan(0);
      expect((await admin.get('/audit?source=sls')).text).toContain('SLS is not configured');
    } finally {
      await local.close();
    }
  });
});
