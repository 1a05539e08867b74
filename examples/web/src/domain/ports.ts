import type { Channel, Plan } from '@periscope/example-shop-kit';

/**
 * What the sign-up journey needs from the outside world. The domain knows
 * these interfaces only; HTTP clients and telemetry sit behind them in
 * `src/adapters/`.
 */
export interface NewAccount {
  email: string;
  plan: Plan;
  channel: Channel;
}

export interface AccountsPort {
  /** Creates the user in the accounts service. */
  create(account: NewAccount): Promise<{ id: string }>;
}

export interface BillingPort {
  /** Charges the user for the plan. */
  checkout(order: { userId: string; plan: Plan }): Promise<{ orderId: string; amountUsd: number }>;
}

/** The product analytics the journey reports to, and who the current visitor is. */
export interface JourneyAnalytics {
  landingViewed(page: 'home' | 'pricing'): void;
  identify(userId: string): void;
}

/** An upstream service answered with an error or could not be reached. */
export class UpstreamError extends Error {
  constructor(
    readonly upstream: string,
    readonly status: number,
  ) {
    super(`${upstream} answered ${status}`);
    this.name = 'UpstreamError';
  }
}

/** The visitor sent something the journey cannot use. */
export class InvalidInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
