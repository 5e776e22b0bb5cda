// What the device pages and their API ask: the AP list and the price-mismatch list, a page at
// a time, with their totals.
import type { Pool } from '../db/pool.js';
import { countAps, listAps, type ApListFilter } from './ap-list-repo.js';
import { countMismatches, listMismatches, storeChoices } from './mismatch-repo.js';
import { scopeIds, type Actor } from '../core/identity.js';

export class DevicesService {
  constructor(private readonly pool: Pool) {}

  /** A page of the APs the actor may see (those serving its stores), with their totals. */
  async aps(f: ApListFilter, actor?: Actor) {
    const g = { ...f, scope: scopeIds(actor) };
    const [rows, counts] = await Promise.all([listAps(this.pool, g), countAps(this.pool, g)]);
    return { rows, counts };
  }

  /** A page of the price mismatches of the actor's stores, with their total. */
  async mismatches(f: { storeId?: number; limit: number; offset: number }, actor?: Actor) {
    const scope = scopeIds(actor);
    const [rows, total] = await Promise.all([
      listMismatches(this.pool, { ...f, scope }),
      countMismatches(this.pool, f.storeId, scope),
    ]);
    return { rows, total };
  }

  /** The stores the actor may filter by. */
  storeChoices(actor?: Actor) {
    return storeChoices(this.pool, scopeIds(actor));
  }
}
