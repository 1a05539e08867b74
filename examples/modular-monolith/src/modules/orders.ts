import type { Telemetry } from '@periscope/sdk';
import type { Billing, Receipt } from './billing.js';
import type { Catalog } from './catalog.js';

export interface Order {
  id: string;
  sku: string;
  quantity: number;
  receipt: Receipt;
}

export interface PlaceOrder {
  sku: string;
  quantity: number;
  country: string;
}

/** The orders module's public face. */
export interface Orders {
  place(input: PlaceOrder): Promise<Order>;
  list(): Order[];
}

/** Orders calls into catalog (price) and billing (charge), which calls back into catalog (tax rate). */
export function createOrders(telemetry: Telemetry, catalog: Catalog, billing: Billing): Orders {
  const boundary = telemetry.boundary('orders');
  const placed: Order[] = [];
  let sequence = 0;
  return {
    place: (input) =>
      boundary.run('place', async () => {
        const amountCents = catalog.price(input.sku) * input.quantity;
        const id = `order-${++sequence}`;
        const receipt = await billing.charge(id, amountCents, input.country);
        const order = { id, sku: input.sku, quantity: input.quantity, receipt };
        placed.push(order);
        return order;
      }),
    list: () => boundary.run('list', () => [...placed]),
  };
}
