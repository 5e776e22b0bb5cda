// Test fixtures for the pipeline: catalog rows (stores, Group IDs, products, prices, labels)
// made in bulk, with Group IDs and an AccessKey from the broker's registry when APs sign in.
import type { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { SecretBox } from '../../../broker/index.js';
import { SYSTEM_ACTOR } from '../../../server/audit/audit-chain.js';
import type { Config } from '../../../server/config.js';
import { createLogger } from '../../../server/core/logger.js';
import type { Pool } from '../../../server/db/pool.js';
import { RegistryService } from '../../../server/registry/registry-service.js';
import { uid } from '../../support/env.js';
import { execute } from '../../../server/db/query.js';

export interface SeededStore {
  storeId: number;
  groupId: string;
  productIds: number[];
  labelIds: string[];
}

/** A store with its Group ID, `products` products priced there and `labelsPerProduct` labels bound to each. */
export async function seedStore(
  db: mysql.Pool | mysql.Connection,
  opts: { products: number; labelsPerProduct: number; price?: string; tag?: string; groupId?: string },
): Promise<SeededStore> {
  const tag = opts.tag ?? uid(4);
  // A Group ID made through the broker's registry is passed in; else a bare row will do (no broker).
  const groupId = opts.groupId ?? `GID_t${tag}`;
  if (!opts.groupId) await db.query('INSERT INTO mqtt_groups (group_id) VALUES (?)', [groupId]);
  const s = await execute(db, 'INSERT INTO stores (code, name) VALUES (?, ?)', [`S${tag}`, `Store ${tag}`]);
  const storeId = s.insertId;
  await execute(db, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?)', [groupId, storeId]);
  const productIds: number[] = [];
  const labelIds: string[] = [];
  for (let i = 0; i < opts.products; i += 1000) {
    const n = Math.min(1000, opts.products - i);
    const rows = Array.from({ length: n }, (_, k) => [`SKU-${tag}-${i + k}`, `Product ${i + k} of ${tag}`]);
    const r = await execute(db, 'INSERT INTO products (sku, name) VALUES ?', [rows]);
    const ids = Array.from({ length: n }, (_, k) => r.insertId + k);
    productIds.push(...ids);
    await execute(db, 'INSERT INTO prices (store_id, product_id, price) VALUES ?', [
      ids.map((id) => [storeId, id, opts.price ?? '1.00']),
    ]);
  }
  const labelRows: unknown[][] = [];
  for (const pid of productIds) {
    for (let k = 0; k < opts.labelsPerProduct; k++) {
      const id = `ESL-${tag}-${pid}-${k}`;
      labelIds.push(id);
      labelRows.push([id, storeId, groupId, pid, new Date()]);
    }
  }
  for (let i = 0; i < labelRows.length; i += 5000) {
    await execute(db, 'INSERT INTO labels (label_id, store_id, group_id, product_id, bound_at) VALUES ?', [
      labelRows.slice(i, i + 5000),
    ]);
  }
  return { storeId, groupId, productIds, labelIds };
}

/**
 * `count` stores, each with its own Group ID registered through the broker's registry, and one
 * AccessKey for all those Group IDs; `groups` maps each Group ID to its labels (for a sim fleet).
 */
export async function seedRegisteredStores(
  db: Pool,
  redis: Redis,
  config: Pick<Config, 'REDIS_PREFIX' | 'MQTT_SECRET_KEY' | 'DATA_DIR'>,
  opts: { count: number; tag: string; products: number; labelsPerProduct: number },
) {
  const registry = new RegistryService(
    db,
    redis,
    config.REDIS_PREFIX,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    createLogger('silent'),
  );
  const stores: SeededStore[] = [];
  const groups = new Map<string, string[]>();
  for (let i = 0; i < opts.count; i++) {
    const groupId = `GID_${opts.tag}${uid(4)}`;
    await registry.createGroup(SYSTEM_ACTOR, { groupId });
    const s = await seedStore(db, {
      products: opts.products,
      labelsPerProduct: opts.labelsPerProduct,
      groupId,
    });
    stores.push(s);
    groups.set(groupId, s.labelIds);
  }
  const key = await registry.issueAccessKey(SYSTEM_ACTOR, { groupIds: [...groups.keys()] });
  return { stores, groups, key };
}
