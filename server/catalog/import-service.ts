// CSV price lists: validate the whole file, keep the validated batch server-side, show a
// preview, and apply it on confirm in one transaction with one task. The confirm names
// the batch by id and content hash and locks its row, so a second click, a replayed form
// or a different file cannot apply anything twice or anything that was not previewed.
import crypto from 'node:crypto';
import type { Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';

import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { inStoreScope } from '../core/identity.js';
import type { Actor } from '../audit/audit-chain.js';
import { decodeCsv, parseCsv, type Column, type LineError } from './import-parse.js';
import { resolveEntries, type Change } from './price-input.js';
import * as repo from './imports-repo.js';
import { labelsForPairs, lockPrices } from './prices-repo.js';
import { listStores } from './stores-repo.js';
import type { PriceChangeService } from './price-change-service.js';

/** The web form posts the file as URL-encoded text; with encoding overhead this stays under the body parser's 200 kB. */
export const MAX_IMPORT_BYTES = 128 * 1024;

export class ImportRejected extends ValidationError {
  constructor(readonly lines: LineError[]) {
    super(`The file was not imported: ${lines.length} problem(s). Nothing was changed.`);
  }
}

const FIELD_COLUMN: Record<string, Column> = {
  sku: 'sku',
  store: 'store',
  price: 'price',
  promoPrice: 'promo_price',
  promoFrom: 'promo_from',
  promoTo: 'promo_to',
  effectiveAt: 'effective_at',
  urgent: 'urgent',
};

const toJson = (cs: Change[]) => JSON.stringify(cs);
const fromJson = (s: string): Change[] =>
  (JSON.parse(s) as Change[]).map((c) => ({
    ...c,
    promoFrom: c.promoFrom ? new Date(c.promoFrom) : null,
    promoTo: c.promoTo ? new Date(c.promoTo) : null,
    effectiveAt: c.effectiveAt ? new Date(c.effectiveAt) : null,
  }));

export class ImportService {
  constructor(
    private readonly pool: Pool,
    private readonly changes: PriceChangeService,
  ) {}

  /**
   * Validates every row of a file (its bytes, decoded here) or of pasted text; stores the batch
   * and returns its id and hash, or throws ImportRejected naming each bad line.
   */
  async validate(
    actor: Actor,
    input: { text: string } | { bytes: Buffer },
    fileName: string,
  ): Promise<{ id: string; hash: string; encoding: string | null }> {
    const size = 'bytes' in input ? input.bytes.length : Buffer.byteLength(input.text, 'utf8');
    if (size > MAX_IMPORT_BYTES) {
      throw new ImportRejected([
        {
          line: 0,
          code: 'tooLarge',
          params: { kb: MAX_IMPORT_BYTES / 1024 },
          message: `the file is larger than ${MAX_IMPORT_BYTES / 1024} kB; split it into several files`,
        },
      ]);
    }
    let text: string;
    let encoding: string | null = null;
    if ('bytes' in input) {
      const decoded = decodeCsv(input.bytes);
      if ('error' in decoded) throw new ImportRejected([decoded.error]);
      ({ text, encoding } = decoded);
    } else {
      text = input.text;
    }
    const parsed = parseCsv(text);
    // A row for a store outside the importer's scope is a bad row, named like any other.
    const { changes, errors } = await resolveEntries(
      this.pool,
      parsed.rows.map((r) => r.entry),
      undefined,
      actor,
    );
    // A problem names its column as the file's header writes it (价格, not price).
    const column = (field: string) => {
      const c = FIELD_COLUMN[field];
      return (c && parsed.written[c]) ?? c ?? field;
    };
    const lines: LineError[] = [
      ...parsed.errors,
      ...errors.map((e) => {
        const message = e.message.replace(/entry (\d+)/, (_m, i) => `line ${parsed.rows[Number(i)].line}`);
        return {
          line: parsed.rows[e.index].line,
          code: 'field',
          params: { column: column(e.field), message },
          message: `${column(e.field)}: ${message}`,
        };
      }),
    ].sort((a, b) => a.line - b.line);
    if (lines.length) throw new ImportRejected(lines);
    const id = crypto.randomBytes(16).toString('hex');
    const hash = crypto.createHash('sha256').update(text, 'utf8').digest('hex');
    await repo.purgeStaleImports(this.pool);
    await repo.insertImport(this.pool, {
      id,
      hash,
      fileName: fileName || 'pasted.csv',
      rowCount: changes.length,
      rowsJson: toJson(changes),
      createdBy: actor.name,
      encoding,
    });
    return { id, hash, encoding };
  }

  /** What confirming would do: rows per store, labels affected per store, and a sample of labels with old and new price. */
  async preview(id: string, actor?: Actor) {
    const imp = await repo.findImport(this.pool, id);
    if (!imp) throw new NotFoundError('No such import (unconfirmed imports are kept for a day).');
    const rows = fromJson(imp.rows_json);
    // An import with a row outside the reader's stores is not the reader's to see.
    if (rows.some((r) => !inStoreScope(actor, r.storeId)))
      throw new NotFoundError('No such import (unconfirmed imports are kept for a day).');
    const now = rows.filter((r) => !r.effectiveAt);
    const { perStore, samples } = await labelsForPairs(this.pool, now, 20);
    const current = await lockPrices(this.pool, now, false);
    const byPair = new Map(rows.map((r) => [`${r.storeId}:${r.productId}`, r]));
    const stores = (await listStores(this.pool))
      .map((s) => ({
        code: s.code,
        name: s.name,
        rows: rows.filter((r) => r.storeId === s.id).length,
        labels: perStore.get(s.id) ?? 0,
      }))
      .filter((s) => s.rows > 0);
    return {
      imp,
      // what confirming would need a confirmation for (rows numbered as in the file: header = 1)
      priceWarnings: imp.state === 'pending' ? await this.changes.warnings(rows) : [],
      stores,
      scheduled: rows.length - now.length,
      labels: [...perStore.values()].reduce((a, b) => a + b, 0),
      samples: samples.map((l) => {
        const r = byPair.get(`${l.store_id}:${l.product_id}`)!;
        return {
          labelId: l.label_id,
          store: r.store,
          sku: r.sku,
          oldPrice: current.get(`${l.store_id}:${l.product_id}`)?.price ?? null,
          newPrice: r.price,
          promoPrice: r.promoPrice,
          promoFrom: r.promoFrom,
          promoTo: r.promoTo,
          later: r.effectiveAt !== null,
        };
      }),
    };
  }

  /** Past imports for the import page, newest first. */
  async history(page: number, pageSize = 20) {
    const p = Math.max(1, Math.floor(page) || 1);
    const r = await repo.listImports(this.pool, { limit: pageSize, offset: (p - 1) * pageSize });
    return { ...r, page: p, pages: Math.max(1, Math.ceil(r.total / pageSize)) };
  }

  async confirm(actor: Actor, id: string, hash: string, confirmed = false) {
    const out = await withTxRetry(this.pool, async (c) => {
      const imp = await repo.findImport(c, id, true);
      if (!imp) throw new NotFoundError('No such import (unconfirmed imports are kept for a day).');
      if (imp.content_hash !== hash)
        throw new ConflictError(
          'This confirmation does not match the previewed file. Upload the file again.',
        );
      if (imp.state === 'applied')
        return { already: true, taskId: imp.task_id, applied: 0, scheduled: [] as string[], items: 0 };
      const r = await this.changes.applyInTx(c, actor, fromJson(imp.rows_json), {
        source: 'import',
        note: `import ${imp.file_name} (${imp.row_count} rows)`,
        confirmed,
        beforeAudit: (taskId) => repo.markImportApplied(c, id, taskId),
      });
      await repo.recordImportOutcome(c, id, {
        by: actor.name,
        applied: r.applied,
        scheduled: r.scheduled.length,
        labels: r.items,
      });
      return { already: false, ...r };
    });
    if (!out.already && out.taskId) await this.changes.enqueueTask(out.taskId);
    return out;
  }
}
