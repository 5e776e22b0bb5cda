// What the device pages and their API ask: the AP list and the price-mismatch list, a page at
// a time, with their totals.
import type { Pool } from '../db/pool.js';
import { pageOf, type PageRequest } from '../core/list-page.js';
import { pageLabelHealth, type LabelHealthFilter } from './label-health-repo.js';
import { countAps, listAps, type ApListFilter } from './ap-list-repo.js';
import { countMismatches, listMismatches } from './mismatch-repo.js';

export class DevicesService {
  constructor(private readonly pool: Pool) {}

  async aps(f: ApListFilter) {
    const [rows, counts] = await Promise.all([listAps(this.pool, f), countAps(this.pool, f)]);
    return { rows, counts };
  }

  /** The API's pages: keyset by Client ID / label id (`limit + 1` rows read, for the next cursor). */
  async apPage(f: Omit<ApListFilter, 'limit' | 'offset'>, p: PageRequest<unknown>) {
    const [rows, counts] = await Promise.all([
      listAps(this.pool, {
        ...f,
        byClientId: true,
        afterClientId: p.after ? String(p.after[0]) : '',
        limit: p.limit + 1,
        offset: 0,
      }),
      countAps(this.pool, f),
    ]);
    return { page: pageOf(rows, p.limit, (r) => [r.clientId]), counts };
  }

  async mismatchPage(storeId: number | undefined, p: PageRequest<unknown>) {
    const rows = await listMismatches(this.pool, {
      storeId,
      afterLabelId: p.after ? String(p.after[0]) : '',
      limit: p.limit + 1,
      offset: 0,
    });
    return pageOf(rows, p.limit, (r) => [r.labelId]);
  }

  async labels(p: PageRequest<LabelHealthFilter>) {
    return pageOf(await pageLabelHealth(this.pool, p), p.limit, (r) => [r.labelId]);
  }

  async mismatches(f: { storeId?: number; limit: number; offset: number }) {
    const [rows, total] = await Promise.all([
      listMismatches(this.pool, f),
      countMismatches(this.pool, f.storeId),
    ]);
    return { rows, total };
  }
}
