// Label commands as people and ERPs ask for them: one label, or every label of a product.
// Each command is stored with its state and audited in the same transaction; one that cannot
// be carried out (no serving AP, AP offline, AP without the capability) is stored final with
// its reason, and the rest are handed to the worker, which sends them (command-dispatcher.ts).
import crypto from 'node:crypto';
import type { z } from 'zod';
import { appendAudit } from '../audit/audit-repo.js';
import { assertStoreInScope, inStoreScope, scopeIds, type Actor } from '../core/identity.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTx, type Pool } from '../db/pool.js';
import { capsOf, reasonMessage, verdict } from './command-rules.js';
import { BulkCommandRequest, CommandRequest, specOf, type CommandSpec } from './command-schemas.js';
import * as repo from './commands-repo.js';
import { CAPABILITY_OF, MAX_BULK_LABELS, type CommandKind } from './states.js';

/** Hands queued commands to the worker (command-queue.ts); a failure leaves them to the sweep. */
export type CommandEnqueue = (uids: string[]) => Promise<void>;

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const i of r.error.issues) fields[String(i.path[0] ?? 'command')] ??= i.message;
  throw new ValidationError('Please correct the highlighted fields.', fields);
}

const AUDIT_CHUNK = 300;

export class LabelCommandsService {
  constructor(
    private readonly pool: Pool,
    private readonly enqueue: CommandEnqueue,
    private readonly log: Logger,
    /** LABEL_COMMAND_ACK_SECONDS, for the reason shown with a timed-out command */
    readonly ackSeconds: number,
  ) {}

  /** One command for one label. Refused (409) when its AP does not declare the capability. */
  async forLabel(actor: Actor, labelId: string, body: unknown) {
    const spec = specOf(parse(CommandRequest, body));
    const out = await withTx(this.pool, async (c) => {
      const t = await repo.findTarget(c, labelId);
      if (!t) throw new NotFoundError(`No label ${labelId.slice(0, 64)}.`);
      assertStoreInScope(actor, { id: t.store_id, code: t.store_code, name: t.store_name });
      if (spec.kind === 'page' && spec.page! > t.pages)
        throw new ValidationError('Please correct the highlighted fields.', {
          page: `label model ${t.model_code} has ${t.pages} page(s)`,
        });
      const row = this.row(actor, t, spec, null);
      await repo.insertCommands(c, [row]);
      await appendAudit(c, actor, [
        {
          action: 'label.command.requested',
          objectType: 'label',
          objectId: t.label_id,
          refs: {
            label: t.label_id,
            store: t.store_code,
            sku: t.sku ?? undefined,
            ap: row.apClientId ?? undefined,
          },
          summary: `${spec.kind} ${row.state}${row.reason ? ` (${row.reason})` : ''}`,
          after: { cmdId: row.uid, ...spec, state: row.state, reason: row.reason },
        },
      ]);
      return row;
    });
    if (out.state === 'queued') await this.handOn([out.uid]);
    const [stored] = await repo.commandsByUid(this.pool, [out.uid]);
    if (out.state === 'refused')
      throw new CommandRefusedError(reasonMessage('not_supported', out.apClientId), stored);
    return stored;
  }

  /** The same command for every label bound to a product (of one store when named), at most MAX_BULK_LABELS. */
  async forProduct(actor: Actor, product: { id?: number; sku?: string }, body: unknown) {
    const input = parse(BulkCommandRequest, body);
    const spec = specOf(input);
    const batchUid = crypto.randomUUID();
    const rows = await withTx(this.pool, async (c) => {
      const p = await repo.findProduct(c, product);
      if (!p) throw new NotFoundError(`No product ${String(product.sku ?? product.id).slice(0, 64)}.`);
      const store = input.store ? await repo.findStoreByCode(c, input.store) : null;
      if (input.store && !store)
        throw new ValidationError('Please correct the highlighted fields.', {
          store: `unknown store "${input.store.slice(0, 32)}"`,
        });
      if (store) assertStoreInScope(actor, store);
      // without a store: the labels of the actor's stores
      const targets = await repo.targetsOfProduct(
        c,
        p.id,
        store?.id ?? null,
        MAX_BULK_LABELS + 1,
        scopeIds(actor),
      );
      if (!targets.length)
        throw new ValidationError('Please correct the highlighted fields.', {
          [input.store ? 'store' : 'command']: store
            ? `no label of ${store.code} is bound to ${p.sku}`
            : `no label is bound to ${p.sku}`,
        });
      if (targets.length > MAX_BULK_LABELS)
        throw new ValidationError('Please correct the highlighted fields.', {
          store: `more than ${MAX_BULK_LABELS} labels: name a store`,
        });
      const rows = targets.map((t) => {
        const r = this.row(actor, t, spec, batchUid);
        // a page this label's model does not have: refused like a missing capability
        if (spec.kind === 'page' && spec.page! > t.pages && r.state === 'queued')
          Object.assign(r, {
            state: 'refused',
            reason: 'not_supported',
            finishedAt: r.finishedAt ?? new Date(),
          });
        return r;
      });
      await repo.insertCommands(c, rows);
      const byState = new Map<string, typeof rows>();
      for (const r of rows) byState.set(r.state, [...(byState.get(r.state) ?? []), r]);
      for (const [state, some] of byState)
        for (let i = 0; i < some.length; i += AUDIT_CHUNK) {
          const chunk = some.slice(i, i + AUDIT_CHUNK);
          await appendAudit(c, actor, [
            {
              action: 'label.command.requested',
              objectType: 'product',
              objectId: p.sku,
              refs: { sku: p.sku, label: chunk.map((r) => r.labelId), store: store?.code },
              summary: `${spec.kind} ${state}: ${chunk.length} label(s)`,
              after: {
                batch: batchUid,
                ...spec,
                state,
                commands: chunk.map((r) => ({ cmdId: r.uid, label: r.labelId, reason: r.reason })),
              },
            },
          ]);
        }
      return rows;
    });
    const queued = rows.filter((r) => r.state === 'queued').map((r) => r.uid);
    if (queued.length) await this.handOn(queued);
    return {
      batchUid,
      commands: await repo.commandsByUid(
        this.pool,
        rows.map((r) => r.uid),
      ),
    };
  }

  private row(
    actor: Actor,
    t: repo.CommandTarget,
    spec: CommandSpec,
    batchUid: string | null,
  ): repo.NewCommand {
    const v = verdict(spec.kind, {
      clientId: t.last_ap_client_id,
      online: t.ap_online === 1,
      caps: capsOf(t.ap_caps),
    });
    return {
      uid: crypto.randomUUID(),
      batchUid,
      labelId: t.label_id,
      storeId: t.store_id,
      productId: t.product_id,
      kind: spec.kind,
      colour: spec.colour,
      pattern: spec.pattern,
      durationSeconds: spec.durationSeconds,
      page: spec.page,
      state: v.state,
      reason: v.reason,
      apClientId: t.last_ap_client_id,
      requestedBy: actor.name,
      finishedAt: v.state === 'queued' ? null : new Date(),
    };
  }

  private async handOn(uids: string[]) {
    try {
      await this.enqueue(uids);
    } catch (err) {
      // Stored as queued: the worker's sweep sends what was not handed on.
      this.log.warn(
        { err: (err as Error).message, commands: uids.length },
        'label commands left to the sweep',
      );
    }
  }

  /** The latest commands of a label, a batch or a product, of the actor's stores. */
  history(f: { labelId?: string; batchUid?: string; productId?: number }, limit = 50, actor?: Actor) {
    return repo.listCommands(this.pool, { ...f, limit, scope: scopeIds(actor) });
  }

  /** One command; one of a store outside the actor's scope is not found. */
  async get(id: string, actor?: Actor) {
    const c = /^[0-9]{1,20}$/.test(id)
      ? await repo.commandById(this.pool, id)
      : /^[0-9a-f-]{36}$/.test(id)
        ? await repo.commandByUid(this.pool, id)
        : null;
    if (!c || !inStoreScope(actor, c.store_id))
      throw new NotFoundError(`No label command ${id.slice(0, 64)}.`);
    return c;
  }

  /** What the label page shows: the label's AP and what it can do, and the latest commands. */
  async panel(labelId: string, actor?: Actor) {
    const t = await repo.findTarget(this.pool, labelId);
    if (!t || !inStoreScope(actor, t.store_id)) return null;
    const caps = capsOf(t.ap_caps);
    const can = (k: CommandKind) => caps.includes(CAPABILITY_OF[k]);
    return {
      target: t,
      ap: { clientId: t.last_ap_client_id, online: t.ap_online === 1, caps },
      can: { flash: can('flash'), find: can('find'), page: can('page') && t.pages > 1 },
      history: await this.history({ labelId }, 20),
      ackSeconds: this.ackSeconds,
    };
  }
}

/** The label's AP does not declare the capability: nothing was sent (409, the command stored as refused). */
export class CommandRefusedError extends AppError {
  override readonly status = 409;
  override readonly code = 'command_refused';
  override name = 'CommandRefusedError';
  constructor(
    message: string,
    readonly command: repo.CommandRow | undefined,
  ) {
    super(message);
  }
}
