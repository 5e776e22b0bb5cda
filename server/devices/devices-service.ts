// What the device pages and their API ask: the AP list and the price-mismatch list, a page at
// a time, with their totals.
import type { Pool } from '../db/pool.js';
import { countAps, listAps, type ApListFilter } from './ap-list-repo.js';
import { countMismatches, listMismatches } from './mismatch-repo.js';

export class DevicesService {
  constructor(private readonly pool: Pool) {}

  async aps(f: ApListFilter) {
    const [rows, counts] = await Promise.all([listAps(this.pool, f), countAps(this.pool, f)]);
    return { rows, counts };
  }

  async mismatches(f: { storeId?: number; limit: number; offset: number }) {
    const [rows, total] = await Promise.all([
      listMismatches(this.pool, f),
      countMismatches(this.pool, f.storeId),
    ]);
    return { rows, total };
  }
}
