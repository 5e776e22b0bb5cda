// What the device pages and their API ask: the AP list and the price-mismatch list, a page at
// a time, with their totals.
import type { Pool } from '../db/pool.js';
import { pageOf, type PageRequest } from '../core/list-page.js';
import { pageLabelHealth, type LabelHealthFilter } from './label-health-repo.js';
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

  /** The API's pages: keyset by Client ID / label id (`limit + 1` rows read, for the next cursor), within the actor's stores. */
  async apPage(f: Omit<ApListFilter, 'limit' | 'offset' | 'scope'>, p: PageRequest<unknown>, actor?: Actor) {
    const g = { ...f, scope: scopeIds(actor) };
    const [rows, counts] = await Promise.all([
      listAps(this.pool, {
        ...g,
        byClientId: true,
        afterClientId: p.after ? String(p.after[0]) : '',
        limit: p.limit + 1,
        offset: 0,
      }),
      countAps(this.pool, g),
    ]);
    return { page: pageOf(rows, p.limit, (r) => [r.clientId]), counts };
  }

  async mismatchPage(storeId: number | undefined, p: PageRequest<unknown>, actor?: Actor) {
    const rows = await listMismatches(this.pool, {
      storeId,
      scope: scopeIds(actor),
      afterLabelId: p.after ? String(p.after[0]) : '',
      limit: p.limit + 1,
      offset: 0,
    });
    return pageOf(rows, p.limit, (r) => [r.labelId]);
  }

  async labels(p: PageRequest<LabelHealthFilter>, actor?: Actor) {
    return pageOf(await pageLabelHealth(this.pool, p, scopeIds(actor)), p.limit, (r) => [r.labelId]);
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
