// Use cases of alerts: the rules (thresholds, on/off), the list, acknowledge and resolve by a
// person, and the evaluation the worker runs. Every transition (opened, acknowledged,
// resolved, a rule changed) appends its audit record in the transaction that makes it.
import { z } from 'zod';
import { appendAudit } from '../audit/audit-repo.js';
import { SYSTEM_ACTOR, type Actor } from '../audit/audit-chain.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Conn, Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import * as repo from './alerts-repo.js';
import { ALERT_KINDS, type AlertKind, type AlertRow } from './alerts-repo.js';
import * as measure from './conditions-repo.js';
import type { Finding } from './conditions-repo.js';

/** What a rule's threshold means, and its bounds. */
export const RULES: Record<AlertKind, { title: string; unit: string; min: number; max: number }> = {
  ap_offline: { title: 'AP offline longer than', unit: 'minutes', min: 0.01, max: 100_000 },
  label_battery_low: { title: 'Label battery below', unit: 'mV', min: 1, max: 10_000 },
  mismatch_old: {
    title: 'Labels showing a wrong price for longer than',
    unit: 'minutes',
    min: 0.01,
    max: 100_000,
  },
  failure_rate: { title: 'Failed items in the last hour above', unit: '%', min: 0, max: 100 },
  task_deadline: {
    title: 'Task will miss its deadline (its labels have no AP online) for longer than',
    unit: 'minutes',
    min: 0.01,
    max: 100_000,
  },
};

/** The failure rate is judged on at least this many finished items, so one failure is no alarm. */
export const FAILURE_RATE_MIN_ITEMS = 10;

const idSchema = z.string().regex(/^[1-9][0-9]{0,18}$/);

export class AlertsService {
  constructor(private readonly pool: Pool) {}

  listRules() {
    return repo.listRules(this.pool);
  }

  list() {
    return repo.listAlerts(this.pool);
  }

  countOpen() {
    return repo.countOpen(this.pool);
  }

  async updateRule(actor: Actor, kind: string, input: { threshold?: unknown; enabled?: unknown }) {
    if (!(ALERT_KINDS as readonly string[]).includes(kind)) throw new NotFoundError('No such alert rule.');
    const k = kind as AlertKind;
    const spec = RULES[k];
    const t = z.coerce.number().min(spec.min).max(spec.max).safeParse(input.threshold);
    if (!t.success || String(input.threshold ?? '').trim() === '')
      throw new ValidationError('Please correct the highlighted fields.', {
        [`threshold_${k}`]: `a number from ${spec.min} to ${spec.max} (${spec.unit})`,
      });
    const enabled = input.enabled === '1' || input.enabled === true;
    await withTxRetry(this.pool, async (c) => {
      const before = await repo.lockRule(c, k);
      if (!before) throw new NotFoundError('No such alert rule.');
      await repo.updateRule(c, k, t.data, enabled);
      await appendAudit(c, actor, [
        {
          action: 'alert.rule_changed',
          objectType: 'alert_rule',
          objectId: k,
          before: { threshold: Number(before.threshold), enabled: !!before.enabled },
          after: { threshold: t.data, enabled },
        },
      ]);
    });
  }

  async acknowledge(actor: Actor, id: string) {
    await this.transition(actor, id, 'alert.acknowledged', (c, now) =>
      repo.acknowledgeAlert(c, id, actor.name, now),
    );
  }

  async resolve(actor: Actor, id: string) {
    await this.transition(actor, id, 'alert.resolved', (c, now) => repo.resolveAlert(c, id, actor.name, now));
  }

  private async transition(
    actor: Actor,
    id: string,
    action: string,
    apply: (c: Conn, now: Date) => Promise<number>,
  ) {
    if (!idSchema.safeParse(id).success) throw new ValidationError('Invalid alert id.');
    await withTxRetry(this.pool, async (c) => {
      const a = await repo.findAlert(c, id, true);
      if (!a || a.state === 'pending') throw new NotFoundError('No such alert.');
      if ((await apply(c, new Date())) === 0) throw new ConflictError(`This alert is ${a.state} already.`);
      await appendAudit(c, actor, [
        { action, objectType: 'alert', objectId: id, refs: refsOf(a), summary: a.message },
      ]);
    });
  }

  /** One evaluation of every rule: opens what crossed its threshold, resolves what cleared. */
  async evaluate(now = new Date()): Promise<{ opened: number; resolved: number }> {
    const total = { opened: 0, resolved: 0 };
    for (const kind of ALERT_KINDS) {
      const n = await withTxRetry(this.pool, (c) => this.evaluateRule(c, kind, now));
      total.opened += n.opened;
      total.resolved += n.resolved;
    }
    return total;
  }

  private async evaluateRule(c: Conn, kind: AlertKind, now: Date) {
    const rule = await repo.lockRule(c, kind);
    if (!rule) return { opened: 0, resolved: 0 };
    const threshold = Number(rule.threshold);
    const findings = rule.enabled ? await this.findings(c, kind, threshold) : [];
    const dueAfterMs =
      kind === 'ap_offline' || kind === 'mismatch_old' || kind === 'task_deadline' ? threshold * 60_000 : 0;
    const active = new Map((await repo.activeOfKind(c, kind)).map((a) => [a.subject, a]));
    let opened = 0;
    let resolved = 0;
    for (const f of findings) {
      const had = active.get(f.subject);
      active.delete(f.subject);
      const since = f.since ?? had?.since ?? now;
      const due = since.getTime() <= now.getTime() - dueAfterMs;
      let id = had?.id;
      if (!had) {
        id = await repo.insertAlert(c, {
          kind,
          subject: f.subject,
          state: due ? 'open' : 'pending',
          message: f.message,
          since,
          now,
        });
      } else if (had.state === 'pending' && due) {
        await repo.openAlert(c, had.id, f.message, now);
      } else {
        if (had.message !== f.message) await repo.setMessage(c, had.id, f.message);
        continue;
      }
      if (due) {
        opened++;
        await appendAudit(c, SYSTEM_ACTOR, [
          {
            action: 'alert.opened',
            objectType: 'alert',
            objectId: id!,
            refs: refsOf({ kind, subject: f.subject }),
            summary: f.message,
            after: { kind, subject: f.subject, threshold, since: since.toISOString() },
          },
        ]);
      }
    }
    // What no longer holds: an alert resolves by itself, a pending observation is forgotten.
    for (const a of active.values()) {
      if (a.state === 'pending') {
        await repo.deletePending(c, a.id);
        continue;
      }
      if (await repo.resolveAlert(c, a.id, SYSTEM_ACTOR.name, now)) {
        resolved++;
        await appendAudit(c, SYSTEM_ACTOR, [
          {
            action: 'alert.resolved',
            objectType: 'alert',
            objectId: a.id,
            refs: refsOf(a),
            summary: rule.enabled ? `cleared: ${a.message}` : `rule disabled: ${a.message}`,
          },
        ]);
      }
    }
    return { opened, resolved };
  }

  private async findings(c: Conn, kind: AlertKind, threshold: number): Promise<Finding[]> {
    switch (kind) {
      case 'ap_offline':
        return measure.offlineAps(c);
      case 'label_battery_low':
        return measure.lowBatteryLabels(c, threshold);
      case 'mismatch_old':
        return measure.mismatchesByStore(c);
      case 'task_deadline':
        return measure.blockedTasks(c);
      case 'failure_rate': {
        const o = await measure.lastHourOutcomes(c);
        const pct = o.finished ? (o.failed / o.finished) * 100 : 0;
        if (o.finished < FAILURE_RATE_MIN_ITEMS || pct <= threshold) return [];
        return [
          {
            subject: 'platform',
            since: null,
            message: `${pct.toFixed(1)} % of the ${o.finished} items finished in the last hour failed (above ${threshold} %)`,
          },
        ];
      }
    }
  }
}

function refsOf(a: Pick<AlertRow, 'kind' | 'subject'>) {
  if (a.kind === 'ap_offline') return { ap: a.subject, kind: a.kind };
  if (a.kind === 'label_battery_low') return { label: a.subject, kind: a.kind };
  if (a.kind === 'task_deadline') return { task: a.subject.replace(/^task:/, ''), kind: a.kind };
  return { subject: a.subject, kind: a.kind };
}
