// The fake SLS endpoint itself, driven by the real @alicloud/log SDK: if it accepted a
// wrong signature or mangled a log, every other audit test would prove nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlsAuditClient } from '../../server/audit/sls-client.js';
import { GENESIS_HASH, type AuditRecord } from '../../server/audit/audit-chain.js';
import { FakeSlsServer } from '../support/sls-server.js';

const creds = {
  project: 'esl-audit',
  logstore: 'trail',
  accessKeyId: 'AKIDtest',
  accessKeySecret: 'secret-for-tests',
};
let sls: FakeSlsServer;
beforeAll(async () => {
  sls = new FakeSlsServer(creds);
  await sls.start();
});
afterAll(() => sls.stop());

const client = (over: Partial<typeof creds> = {}) =>
  new SlsAuditClient(
    { endpoint: sls.endpoint, ...creds, ...over },
    { connectAddress: '127.0.0.1', timeoutMs: 2000 },
  );

const rec = (id: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  id: String(id),
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(),
  actor: 'alice',
  actorRole: 'operator',
  action: 'price.changed',
  objectType: 'task',
  objectId: String(id),
  refs: ` sku:69${id} store:S001 task:${id} `,
  summary: 'Preis "9,99" = ok',
  before: null,
  after: '{"price":"9.99"}',
  requestId: null,
  ip: '10.0.0.1',
  prevHash: GENESIS_HASH,
  hash: 'a'.repeat(64),
  ...extra,
});

describe('fake SLS endpoint with the real SDK', () => {
  it('accepts a correctly signed PutLogs and decodes every field of the LogGroup', async () => {
    const c = client();
    await c.put([rec(1), rec(2)]);
    c.close();
    expect(sls.logs).toHaveLength(2);
    expect(sls.logs[0].topic).toBe('audit');
    expect(sls.logs[0].time).toBe(Date.UTC(2026, 0, 1, 0, 0, 1) / 1000);
    expect(sls.logs[1].contents).toMatchObject({
      id: '2',
      refs: ' sku:692 store:S001 task:2 ',
      summary: 'Preis "9,99" = ok',
      before: '',
      nullFields: 'before,requestId',
    });
  });

  it('refuses a request signed with the wrong secret, and the SDK reports it', async () => {
    const c = client({ accessKeySecret: 'not-the-secret' });
    await expect(c.put([rec(3)])).rejects.toThrow(/signature does not match/);
    c.close();
    expect(sls.refused.at(-1)).toMatch(/^SignatureNotMatch/);
    expect(sls.values('id')).not.toContain('3');
  });

  it('refuses an unknown project (the SDK puts the project in the host name)', async () => {
    const c = client({ project: 'other' });
    await expect(c.put([rec(4)])).rejects.toThrow(/project other does not exist/);
    c.close();
  });

  it('answers GetLogs with field, phrase, numeric and analytic queries over a time range', async () => {
    const c = client();
    const from = new Date(Date.UTC(2026, 0, 1));
    const to = new Date(Date.UTC(2026, 0, 2));
    const ids = async (q: string, f = from, t = to) => (await c.query(q, f, t)).map((r) => r.id);
    expect(await ids('refs: "sku:692"')).toEqual(['2']);
    expect(await ids('*')).toEqual(['1', '2']);
    expect(await ids('* | select * order by id desc limit 1')).toEqual(['2']);
    expect(await ids('id < 2 and actor: "alice"')).toEqual(['1']);
    expect(await ids('not objectId: "1" and (action: "price.changed" or actor: "bob")')).toEqual(['2']);
    expect(await ids('"9,99"')).toEqual(['1', '2']);
    expect(await ids('*', new Date(Date.UTC(2026, 0, 1, 0, 0, 2)), to)).toEqual(['2']);
    await expect(c.query('* | select count(*)', from, to)).rejects.toThrow(/supports only/);
    c.close();
  });
});
