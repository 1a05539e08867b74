import { setTimeout as sleep } from 'node:timers/promises';
import type { Telemetry } from '@periscope/sdk';
import type { Catalog } from './catalog.js';

/** The payment provider refused the charge; the HTTP layer answers 402. */
export class PaymentDeclined extends Error {}

export interface Receipt {
  orderId: string;
  totalCents: number;
}

/** The billing module's public face. */
export interface Billing {
  charge(orderId: string, amountCents: number, country: string): Promise<Receipt>;
}

/**
 * Billing marks its boundary with the method decorator (legacy
 * `experimentalDecorators` here, as in NestJS; standard decorators work too).
 */
export function createBilling(telemetry: Telemetry, catalog: Catalog, limitCents = 100_000): Billing {
  const billing = telemetry.boundary('billing');

  class BillingService implements Billing {
    readonly limitCents = limitCents;

    @billing.operation()
    async charge(orderId: string, amountCents: number, country: string): Promise<Receipt> {
      await sleep(2); // the card processor's round trip
      // Called after an await: the caller recorded for catalog is still billing.
      const rate = await catalog.taxRate(country);
      const totalCents = Math.round(amountCents * (1 + rate));
      if (totalCents > this.limitCents) throw new PaymentDeclined(`charge of ${totalCents} declined`);
      return { orderId, totalCents };
    }
  }

  return new BillingService();
}
