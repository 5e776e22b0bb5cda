// The product a template preview shows when the operator has not picked one, and that a
// template is test-rendered with before it is saved (regular price and promotion).
import type { LabelFacts } from './label-content.js';

export function sampleFacts(promo: boolean, now: Date): LabelFacts {
  const day = 86_400_000;
  return {
    labelId: 'ESL-SAMPLE',
    sku: '6901234567892',
    name: '农夫山泉 饮用天然水 550毫升',
    nameLatin: 'Nongfu Spring Natural Water',
    unit: 'pcs',
    currency: 'CNY',
    origin: '浙江 杭州',
    spec: '550ml × 1瓶',
    netQuantity: '550',
    netUnit: 'ml',
    storeName: 'Sample store',
    storeTimezone: 'Asia/Shanghai',
    price: {
      price: '2.50',
      promoPrice: promo ? '1.99' : null,
      promoFrom: promo ? new Date(now.getTime() - day) : null,
      promoTo: promo ? new Date(now.getTime() + 6 * day) : null,
      priorLowest: promo ? '2.30' : null,
    },
  };
}
