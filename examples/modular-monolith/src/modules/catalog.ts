import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Telemetry } from '@periscope/sdk';

/** A product of the catalog; prices in cents. */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
}

/** Thrown for an unknown SKU; the HTTP layer answers 404. */
export class ProductNotFound extends Error {}

/** The catalog module's public face: the only way other modules reach its data. */
export interface Catalog {
  product(sku: string): Product;
  price(sku: string): number;
  taxRate(country: string): Promise<number>;
}

const PRODUCTS: Product[] = [
  { sku: 'sku-book', name: 'A book', priceCents: 1_500 },
  { sku: 'sku-lamp', name: 'A lamp', priceCents: 4_900 },
  { sku: 'sku-piano', name: 'A piano', priceCents: 400_000 },
];
const TAX_RATES: Record<string, number> = { FR: 0.2, DE: 0.19, US: 0 };

/** The catalog marks its boundary with `run()`: every public function is one operation. */
export function createCatalog(telemetry: Telemetry): Catalog {
  const boundary = telemetry.boundary('catalog');
  const products = new Map(PRODUCTS.map((p) => [p.sku, p]));
  const find = (sku: string): Product => {
    const product = products.get(sku);
    if (!product) throw new ProductNotFound(`no product ${sku}`);
    return product;
  };
  return {
    product: (sku) => boundary.run('product', () => find(sku)),
    price: (sku) => boundary.run('price', () => find(sku).priceCents),
    taxRate: (country) =>
      boundary.run('taxRate', async () => {
        await nextTurn(); // stands in for a lookup table loaded lazily
        return TAX_RATES[country] ?? 0.2;
      }),
  };
}
