// Applies one validated status report: the AP's firmware and label count (and a sample of its
// status history every few minutes), and per label
// the AP that reported it, battery, signal and the hash it displays (which feeds the
// price-mismatch list). Large reports are written in chunks, one transaction in all.
// A label newly seen showing something other than its current price, with no task on its
// way to it, is recorded in the audit trail (once: a repeat of the same report is not new).
import { appendAudit } from '../audit/audit-repo.js';
import { withTx, type Pool } from '../db/pool.js';
import type { Status } from '../tasks/uplink-schemas.js';
import { recordEvent } from '../webhooks/events.js';
import { upsertApStatus } from './aps-repo.js';
import {
  applyReportedModels,
  knownDisplayed,
  labelExpectations,
  sampleApStatus,
  updateReportedLabels,
} from './status-repo.js';

const CHUNK = 500;

export async function applyStatus(
  pool: Pool,
  from: { clientId: string; groupId: string; deviceId: string; receivedAt: Date },
  s: Status,
): Promise<{ labels: number; mismatches: number; unknownModels: string[] }> {
  return withTx(pool, async (c) => {
    let matched = 0;
    const mismatched: string[] = [];
    const labels = s.labels.map((l) => ({
      labelId: l.labelId,
      battery: l.battery ?? null,
      rssi: l.rssi ?? null,
      contentHash: l.contentHash ?? null,
    }));
    for (let i = 0; i < labels.length; i += CHUNK) {
      const chunk = labels.slice(i, i + CHUNK);
      const reported = new Map(chunk.filter((l) => l.contentHash).map((l) => [l.labelId, l.contentHash!]));
      // A label showing what we already knew it showed is never newly mismatched; only the others
      // need the (costly) hash of their current price. Most reports repeat what is known.
      const known = await knownDisplayed(c, from.groupId, [...reported.keys()]);
      const changed = [...reported]
        .filter(([id, h]) => known.has(id) && known.get(id) !== h)
        .map(([id]) => id);
      for (const e of await labelExpectations(c, from.groupId, changed)) {
        const shown = reported.get(e.labelId)!;
        if (shown !== e.expected && shown !== e.expectedImage && shown !== e.previous && !e.pending)
          mismatched.push(e.labelId);
      }
      matched += await updateReportedLabels(c, from.groupId, from.clientId, from.receivedAt, chunk);
    }
    // An AP that knows its labels' hardware reports their model; an unknown model changes nothing.
    const models = new Map(s.labels.filter((l) => l.model).map((l) => [l.labelId, l.model!]));
    const { changed, unknown } = await applyReportedModels(c, from.groupId, models);
    for (let i = 0; i < changed.length; i += 300) {
      const chunk = changed.slice(i, i + 300);
      await appendAudit(c, { name: from.clientId, role: 'device' }, [
        {
          action: 'label.model_reported',
          objectType: 'ap',
          objectId: from.clientId,
          refs: { ap: from.clientId, group: from.groupId, label: chunk.map((x) => x.labelId) },
          summary: `${chunk.length} label(s) reported with another model`,
          before: chunk.map((x) => ({ label: x.labelId, model: x.from })),
          after: chunk.map((x) => ({ label: x.labelId, model: x.to })),
        },
      ]);
    }
    await upsertApStatus(c, {
      ...from,
      firmware: s.fw ?? null,
      caps: s.caps?.length ? JSON.stringify(s.caps) : null,
      at: from.receivedAt,
      labelsReported: s.labels.length,
    });
    const stat = (vs: (number | null)[]) => {
      const xs = vs.filter((v): v is number => v !== null);
      return xs.length
        ? {
            min: xs.reduce((a, b) => Math.min(a, b)),
            avg: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length),
          }
        : { min: null, avg: null };
    };
    const battery = stat(labels.map((l) => l.battery));
    const rssi = stat(labels.map((l) => l.rssi));
    await sampleApStatus(c, {
      clientId: from.clientId,
      at: from.receivedAt,
      firmware: s.fw ?? null,
      labelsReported: s.labels.length,
      batteryMin: battery.min,
      batteryAvg: battery.avg,
      rssiMin: rssi.min,
      rssiAvg: rssi.avg,
    });
    for (let i = 0; i < mismatched.length; i += 300) {
      const chunk = mismatched.slice(i, i + 300);
      await recordEvent(c, 'mismatch.detected', { ap: from.clientId, groupId: from.groupId, labels: chunk });
      await appendAudit(c, { name: from.clientId, role: 'device' }, [
        {
          action: 'label.mismatch',
          objectType: 'ap',
          objectId: from.clientId,
          refs: { ap: from.clientId, group: from.groupId, label: chunk },
          summary: `${chunk.length} label(s) reported showing content that differs from their current price`,
        },
      ]);
    }
    return { labels: matched, mismatches: mismatched.length, unknownModels: unknown };
  });
}
