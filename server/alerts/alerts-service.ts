// Alerts as people handle them: list, acknowledge, resolve by hand, and the rules' thresholds
// (admins). Each change is audited in its own transaction.
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { withTx, type Pool } from '../db/pool.js';
import { ALERT_KINDS, ALERT_KIND_INFO, type AlertKind } from './alert-kinds.js';
import { refsOf } from './alert-evaluator.js';
import * as repo from './alerts-repo.js';
import { pageOf, type PageRequest } from '../core/list-page.js';

export class AlertsService {
  constructor(private readonly pool: Pool) {}

  list(f: { states: string[]; page: number }) {
    return repo.listAlerts(this.pool, { states: f.states, limit: 100, offset: (f.page - 1) * 100 });
  }

  /** The API's page: newest first, by id. */
  async page(p: PageRequest<{ state?: string; kind?: string }>) {
    return pageOf(await repo.pageAlerts(this.pool, p), p.limit, (a) => [a.id]);
  }

  rules() {
    return repo.listRules(this.pool);
  }

  countUnresolved() {
    return repo.countUnresolved(this.pool);
  }

  async acknowledge(actor: Actor, id: string) {
    await this.change(actor, id, 'acknowledged', async (c, a) => {
      if (a.state !== 'open') throw new ConflictError(`Alert ${id} is ${a.state} already.`);
      await repo.acknowledge(c, id, actor.name);
    });
  }

  /** Resolved by hand; if its condition still holds, the next evaluation opens a new alert. */
  async resolve(actor: Actor, id: string) {
    await this.change(actor, id, 'resolved', async (c, a) => {
      if (a.state === 'resolved') throw new ConflictError(`Alert ${id} is resolved already.`);
      await repo.resolve(c, id, actor.name);
    });
  }

  private async change(
    actor: Actor,
    id: string,
    to: string,
    fn: (c: Parameters<typeof repo.acknowledge>[0], a: repo.AlertRow) => Promise<void>,
  ) {
    if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new NotFoundError('No such alert.');
    await withTx(this.pool, async (c) => {
      const a = await repo.findAlert(c, id);
      if (!a) throw new NotFoundError(`No alert ${id}.`);
      await fn(c, a);
      await appendAudit(c, actor, [
        {
          action: to === 'acknowledged' ? 'alert.acknowledged' : 'alert.resolved',
          objectType: 'alert',
          objectId: id,
          refs: refsOf(a.subject),
          summary: `${ALERT_KIND_INFO[a.kind]?.title ?? a.kind} ${to} by ${actor.name}: ${a.summary}`,
          before: { state: a.state },
          after: { state: to, by: actor.name },
        },
      ]);
    });
  }

  /** Sets every rule's threshold and switch from a form: `<kind>` (a number) and `<kind>_on`. */
  async updateRules(actor: Actor, form: Record<string, unknown>) {
    const fields: Record<string, string> = {};
    const next = ALERT_KINDS.map((kind: AlertKind) => {
      const raw = typeof form[kind] === 'string' ? (form[kind] as string).trim() : '';
      const threshold = Number(raw);
      if (!raw || !Number.isFinite(threshold) || threshold < 0 || threshold > 1_000_000)
        fields[kind] = `a number from 0 to 1000000 (${ALERT_KIND_INFO[kind].unit})`;
      return { kind, threshold: Math.round(threshold * 100) / 100, enabled: form[`${kind}_on`] === '1' };
    });
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    await withTx(this.pool, async (c) => {
      const before = await repo.listRules(c, true);
      for (const r of next) await repo.updateRule(c, r);
      await appendAudit(c, actor, [
        {
          action: 'alert.rules.updated',
          objectType: 'alert_rules',
          objectId: 'all',
          summary: next.map((r) => `${r.kind}=${r.threshold}${r.enabled ? '' : ' (off)'}`).join(', '),
          before,
          after: next,
        },
      ]);
    });
  }
}
