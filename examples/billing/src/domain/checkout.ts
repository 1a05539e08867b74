import { randomUUID } from 'node:crypto';
import type { Plan } from '@periscope/example-shop-kit';

/** Monthly prices in US dollars. */
export const PRICES_USD: Readonly<Record<Plan, number>> = { basic: 19, pro: 49 };

/** Looks users up in the accounts service (or wherever users live). */
export interface UserDirectory {
  exists(userId: string): Promise<boolean>;
}

/** Told about every completed checkout (revenue analytics). */
export interface CheckoutNotifier {
  completed(order: Order): void;
}

export interface Order {
  orderId: string;
  userId: string;
  plan: Plan;
  amountUsd: number;
}

export class UnknownUserError extends Error {
  constructor(readonly userId: string) {
    super(`no user ${userId}`);
    this.name = 'UnknownUserError';
  }
}

/** Checkout: check the user, price the plan, record the order. No framework, no telemetry. */
export class CheckoutService {
  constructor(
    private readonly users: UserDirectory,
    private readonly notifier: CheckoutNotifier,
  ) {}

  async checkout(userId: string, plan: Plan): Promise<Order> {
    if (!(await this.users.exists(userId))) throw new UnknownUserError(userId);
    const order: Order = { orderId: `o_${randomUUID().slice(0, 12)}`, userId, plan, amountUsd: PRICES_USD[plan] };
    this.notifier.completed(order);
    return order;
  }
}
