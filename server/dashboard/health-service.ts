// Label and AP health as the health pages read them: one AP with its labels and histories, and
// the label health list the dashboard's numbers link to.
import type { Pool } from '../db/pool.js';
import { findAp } from '../devices/ap-list-repo.js';
import { statusHistory } from '../devices/status-repo.js';
import { countHistory, listChurn, listHistory } from '../devices/connection-history-repo.js';
import { storeChoices } from '../devices/mismatch-repo.js';
import { inStoreScope, scopeIds, type Actor } from '../core/identity.js';
import { countLabelHealth, listLabelHealth, type LabelHealthFilter } from './health-repo.js';

export type { LabelHealthFilter };

export class HealthService {
  constructor(private readonly pool: Pool) {}

  /** One AP's health page with a page of its connection history, or null when that AP never connected. */
  async apPage(
    clientId: string,
    pageSize: number,
    history: { page: number; pageSize: number },
    actor?: Actor,
  ) {
    const ap = await findAp(this.pool, clientId);
    // An AP of a store outside the reader's scope (or of no store, for a scoped reader) is not found.
    if (!ap || (actor?.stores && (ap.storeId === null || !inStoreScope(actor, ap.storeId)))) return null;
    const f = { ap: clientId, scope: scopeIds(actor), limit: pageSize, offset: 0 };
    const [labels, total, status, connections, connectionsTotal, churn] = await Promise.all([
      listLabelHealth(this.pool, f),
      countLabelHealth(this.pool, f),
      statusHistory(this.pool, clientId, 288),
      listHistory(this.pool, clientId, history.pageSize, (history.page - 1) * history.pageSize),
      countHistory(this.pool, clientId),
      listChurn(this.pool, clientId, new Date(Date.now() - 48 * 3600_000)),
    ]);
    return { ap, labels, total, status, connections, connectionsTotal, churn };
  }

  /** A page of the label health list and the count of all labels matching the filter. */
  async labels(f: LabelHealthFilter, actor?: Actor) {
    const g = { ...f, scope: scopeIds(actor) };
    const [rows, total] = await Promise.all([listLabelHealth(this.pool, g), countLabelHealth(this.pool, g)]);
    return { rows, total };
  }

  /** The stores the reader may filter by. */
  storeChoices(actor?: Actor) {
    return storeChoices(this.pool, scopeIds(actor));
  }
}
