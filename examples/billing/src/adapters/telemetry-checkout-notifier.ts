import type { ShopEvents } from '@periscope/example-shop-kit';
import type { Telemetry } from '@periscope/sdk';
import type { CheckoutNotifier, Order } from '../domain/checkout.js';

/** Completed checkouts as the funnel's last step, with the amount as the event's value. */
export class TelemetryCheckoutNotifier implements CheckoutNotifier {
  constructor(private readonly telemetry: Telemetry<ShopEvents>) {}

  completed(order: Order): void {
    this.telemetry.setUser(order.userId);
    this.telemetry.track('checkout.completed', { plan: order.plan, amount_usd: order.amountUsd });
  }
}
