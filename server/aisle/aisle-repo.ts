// The aisle page's reads: a label by its barcode (its id) with what it is bound to, its price in
// its store, its serving AP and whether the image it reports showing is one the platform drew;
// a product by its SKU (its barcode).
import type { Queryable } from '../db/pool.js';
import { queryOne } from '../db/query.js';

export interface AisleLabel {
  label_id: string;
  store_id: number;
  store_code: string;
  store_name: string;
  product_id: number | null;
  sku: string | null;
  product_name: string | null;
  currency: string | null;
  price: string | null;
  promo_price: string | null;
  model_code: string;
  width_px: number;
  height_px: number;
  pages: number;
  last_ap_client_id: string | null;
  ap_online: number | null;
  displayed_hash: string | null;
  displayed_image: number;
  last_status_at: Date | null;
}

export function findLabel(db: Queryable, labelId: string): Promise<AisleLabel | null> {
  return queryOne<AisleLabel>(
    db,
    `SELECT l.label_id, l.store_id, s.code AS store_code, s.name AS store_name, l.product_id, p.sku,
            p.name AS product_name, p.currency, pr.price, pr.promo_price, l.model_code, m.width_px, m.height_px,
            m.pages, l.last_ap_client_id, a.online AS ap_online, l.displayed_hash, l.last_status_at,
            EXISTS (SELECT 1 FROM label_images i WHERE i.image_hash = l.displayed_hash) AS displayed_image
       FROM labels l JOIN stores s ON s.id = l.store_id JOIN label_models m ON m.code = l.model_code
       LEFT JOIN products p ON p.id = l.product_id
       LEFT JOIN prices pr ON pr.store_id = l.store_id AND pr.product_id = l.product_id
       LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
      WHERE l.label_id = ?`,
    [labelId],
  );
}

export function findProduct(db: Queryable, sku: string) {
  return queryOne<{ id: number; sku: string; name: string }>(
    db,
    'SELECT id, sku, name FROM products WHERE sku = ?',
    [sku],
  );
}
