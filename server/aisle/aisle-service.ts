// The aisle page's use cases: look a label up by its barcode, bind it to a product by the
// product's barcode (asking first when that moves it off another product), and flash or find
// it. Binding is the catalog's (a task re-sends the label); commands are server/commands'.
import { assertStoreInScope, inStoreScope, type Actor } from '../core/identity.js';
import { ValidationError } from '../core/errors.js';
import type { Pool } from '../db/pool.js';
import type { LabelsService } from '../catalog/labels-service.js';
import type { LabelCommandsService } from '../commands/commands-service.js';
import * as repo from './aisle-repo.js';

/** What a scanner sends may carry spaces or a line end; barcodes are at most 64 characters. */
export const cleanCode = (v: string) => v.trim().slice(0, 64);

export class AisleService {
  constructor(
    private readonly pool: Pool,
    private readonly labels: LabelsService,
    readonly commands: LabelCommandsService,
  ) {}

  /** The label, what it shows and its latest commands; null when no label has that barcode. */
  async lookup(code: string, actor?: Actor) {
    const label = await repo.findLabel(this.pool, cleanCode(code));
    // a label of a store outside the reader's scope is not found either
    if (!label || !inStoreScope(actor, label.store_id)) return null;
    const panel = await this.commands.panel(label.label_id, actor);
    return { label, can: panel!.can, history: panel!.history.slice(0, 5) };
  }

  /**
   * Binds the label to the product with this barcode. When the label shows another product and
   * the rebind is not confirmed yet, nothing changes: the answer says what it would replace.
   */
  async bind(actor: Actor, labelCode: string, productCode: string, confirmed: boolean) {
    const sku = cleanCode(productCode);
    if (!sku)
      throw new ValidationError('Please correct the highlighted fields.', {
        sku: 'scan or type the product barcode',
      });
    const label = await repo.findLabel(this.pool, cleanCode(labelCode));
    if (!label)
      throw new ValidationError('Please correct the highlighted fields.', {
        label: 'no label has this barcode',
      });
    assertStoreInScope(actor, { id: label.store_id, code: label.store_code, name: label.store_name });
    const product = await repo.findProduct(this.pool, sku);
    if (!product)
      throw new ValidationError('Please correct the highlighted fields.', { sku: `unknown SKU "${sku}"` });
    if (label.product_id === product.id) return { done: false as const, same: true as const, label, product };
    if (label.product_id !== null && !confirmed)
      return { done: false as const, same: false as const, label, product };
    const task = await this.labels.bind(actor, label.label_id, product.sku);
    return { done: true as const, label, product, task };
  }
}
