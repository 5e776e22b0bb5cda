// Applies a batch of validated acks in one transaction: the first `ok` from an AP of the
// item's own group confirms it; later acks change nothing; a `failed` result is due again
// after its own short backoff (the AP answered: no reason to wait out the silence timeout). Results for items of another group are refused (a forged or misrouted ack).
// One audit record per task and outcome, with the labels in refs.
import type { Actor } from '../audit/audit-chain.js';
import { appendAuditMany } from '../audit/audit-repo.js';
import type { AuditEvent } from '../audit/audit-chain.js';
import type { Pool } from '../db/pool.js';
import {
  confirmItems,
  failItems,
  imageCapableAps,
  lockItems,
  type CoveringMessage,
  type LockedItem,
  type StoreCodes,
} from './ack-repo.js';
import { OPEN_ITEM_STATES } from './states.js';
import { withTxRetry } from '../db/tx-retry.js';
import type { AckResult } from './uplink-schemas.js';
import { recordItemsFailed } from '../webhooks/events.js';
import type { MessageRange } from './dispatch-repo.js';

export interface AckEntry {
  clientId: string;
  groupId: string;
  msgId: string;
  results: AckResult[];
  receivedAt: Date;
}

export interface ApplyOutcome {
  confirmed: number;
  failed: number;
  duplicates: number;
  /** results naming an item of another group, or a label that is not the item's */
  refused: { clientId: string; itemId: string; reason: string }[];
  unknown: number;
  /** tasks and groups touched, for completion checks and dispatch wake-ups */
  tasks: Set<string>;
  groups: Set<string>;
  /** task messages some of whose items were answered: answered in full when none is pending (after commit) */
  messages: Map<string, MessageRange>;
}

const OPEN = new Set<string>(OPEN_ITEM_STATES);
const FAILED_RETRY_CAP_MS = 5 * 60_000;
const REFS_CHUNK = 300; // labels per audit record: keeps refs well inside its TEXT column

const DEVICE = (clientId: string): Actor => ({ name: clientId, role: 'device' });

/** Canonical decimal ids (`[1-9][0-9]*`) in numeric order. */
export const byIdOrder = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

// Store codes never change (see StoreCodes): one map per pool, i.e. per database.
const STORE_CODES = new WeakMap<Pool, StoreCodes>();
const storeCodesOf = (pool: Pool) => STORE_CODES.get(pool) ?? STORE_CODES.set(pool, new Map()).get(pool)!;

export async function applyAcks(
  pool: Pool,
  entries: AckEntry[],
  opts: { failedRetryMs: number } = { failedRetryMs: 2000 },
): Promise<ApplyOutcome> {
  // Item ids are canonical decimals (uplink-schemas: no sign, no leading zero), so a shorter one is
  // smaller and two of one length compare as strings: id order without parsing a number per comparison.
  const ids = [...new Set(entries.flatMap((e) => e.results.map((r) => r.itemId)))].sort(byIdOrder);
  return withTxRetry(pool, async (c) => {
    const out: ApplyOutcome = {
      confirmed: 0,
      failed: 0,
      duplicates: 0,
      refused: [],
      unknown: 0,
      tasks: new Set(),
      groups: new Set(),
      messages: new Map(),
    };
    if (!ids.length) return out;
    // An image-capable AP confirms with the hash of the image it was sent, a field-only AP with the content hash.
    const imageAps = await imageCapableAps(c, [...new Set(entries.map((e) => e.clientId))]);
    const items = new Map<string, LockedItem>(
      (await lockItems(c, ids, imageAps.size > 0, storeCodesOf(pool))).map((i) => [i.id, i]),
    );
    // decisions, in arrival order: state changes are tracked here so a later ok in the same batch is a duplicate
    const state = new Map<string, string>();
    const confirms = new Map<string, LockedItem[]>(); // by AP
    const fails = new Map<string, { clientId: string; items: LockedItem[] }>(); // by error + AP
    for (const e of entries) {
      for (const r of e.results) {
        const it = items.get(r.itemId);
        if (!it) {
          out.unknown++;
          continue;
        }
        if (it.groupId !== e.groupId) {
          out.refused.push({
            clientId: e.clientId,
            itemId: r.itemId,
            reason: `item belongs to another group`,
          });
          continue;
        }
        if (it.labelId !== r.labelId) {
          out.refused.push({
            clientId: e.clientId,
            itemId: r.itemId,
            reason: `labelId does not match the item`,
          });
          continue;
        }
        const cur = state.get(it.id) ?? it.state;
        // A pending item was sent when a task message holds it; a failure of one never sent is stale.
        if (!OPEN.has(cur) || (r.status === 'failed' && cur === 'pending' && !it.message)) {
          out.duplicates++;
          continue;
        }
        const expected = imageAps.has(e.clientId) && it.imageHash ? it.imageHash : it.contentHash;
        if (r.status === 'ok' && r.contentHash === expected) {
          state.set(it.id, 'confirmed');
          (confirms.get(e.clientId) ?? confirms.set(e.clientId, []).get(e.clientId)!).push(it);
        } else {
          const error =
            r.status === 'ok' ? 'hash_mismatch: the AP shows different content' : (r.error ?? 'failed');
          state.set(it.id, 'failed');
          const k = `${e.clientId}\n${error}`;
          (fails.get(k) ?? fails.set(k, { clientId: e.clientId, items: [] }).get(k)!).items.push(it);
        }
        out.tasks.add(it.taskId);
        out.groups.add(it.groupId);
        if (it.message) out.messages.set(it.message.id, it.message);
      }
    }
    // An item failed by one AP and then confirmed by another in the same batch is only confirmed.
    const at = entries[entries.length - 1].receivedAt;
    const audit: { actor: Actor; event: AuditEvent }[] = [];
    // Items confirmed out of a task message, by message (their rows take its attempts).
    const fromMessages = new Map<string, CoveringMessage & { itemIds: string[] }>();
    for (const i of [...confirms.values()].flat())
      if (i.message)
        (
          fromMessages.get(i.message.id) ??
          fromMessages.set(i.message.id, { ...i.message, itemIds: [] }).get(i.message.id)!
        ).itemIds.push(i.id);
    await confirmItems(
      c,
      new Map([...confirms].map(([clientId, list]) => [clientId, list.map((i) => i.id)])),
      at,
      [...fromMessages.values()],
      [...confirms].flatMap(([ap, list]) => (imageAps.has(ap) ? list.map((i) => i.id) : [])),
    );
    for (const [clientId, list] of confirms) {
      out.confirmed += list.length;
      audit.push(...auditRecords(clientId, 'task.items.confirmed', list));
    }
    const failedByError = new Map<string, string[]>();
    for (const [k, { clientId, items: list0 }] of fails) {
      const list = list0.filter((i) => state.get(i.id) === 'failed');
      if (!list.length) continue;
      const error = k.slice(k.indexOf('\n') + 1);
      (failedByError.get(error) ?? failedByError.set(error, []).get(error)!).push(...list.map((i) => i.id));
      out.failed += list.length;
      await recordItemsFailed(c, clientId, error, list);
      audit.push(...auditRecords(clientId, 'task.items.failed', list, error));
    }
    await failItems(c, failedByError, opts.failedRetryMs, FAILED_RETRY_CAP_MS);
    // One append for the batch; each record still names the device that acked.
    await appendAuditMany(c, audit);
    return out;
  });
}

function auditRecords(clientId: string, action: string, list: LockedItem[], error?: string) {
  // One record per task and store (chunked): its refs name the store and the SKUs, and `after`
  // maps each label to its SKU, so "which labels confirmed SKU X in store Y" is one audit query.
  const byTask = new Map<string, LockedItem[]>();
  for (const i of list) {
    const k = `${i.taskId}\n${i.storeCode}`;
    (byTask.get(k) ?? byTask.set(k, []).get(k)!).push(i);
  }
  const out: { actor: Actor; event: AuditEvent }[] = [];
  for (const items of byTask.values()) {
    const { taskId, storeCode } = items[0];
    for (let k = 0; k < items.length; k += REFS_CHUNK) {
      const chunk = items.slice(k, k + REFS_CHUNK);
      out.push({
        actor: DEVICE(clientId),
        event: {
          action,
          objectType: 'task',
          objectId: taskId,
          refs: {
            task: taskId,
            ap: clientId,
            store: storeCode,
            sku: [...new Set(chunk.map((i) => i.sku))],
            label: chunk.map((i) => i.labelId),
          },
          summary: `${chunk.length} label(s) ${action === 'task.items.confirmed' ? 'confirmed' : `failed (${error})`} by ${clientId}`,
          after: {
            items: chunk.map((i) => i.id),
            skus: Object.fromEntries(chunk.map((i) => [i.labelId, i.sku])),
            ...(error ? { error } : {}),
          },
        },
      });
    }
  }
  return out;
}
