import type { Channel, Plan } from '@periscope/example-shop-kit';
import { type AccountsPort, type BillingPort, InvalidInputError, type JourneyAnalytics } from './ports.js';

const PLANS: readonly Plan[] = ['basic', 'pro'];
const CHANNELS: readonly Channel[] = ['ads', 'search', 'direct'];

/**
 * The shop's front-end use cases: a visitor lands, signs up, checks out.
 * Plain domain code: no framework, no telemetry, only ports.
 */
export class SignupJourney {
  constructor(
    private readonly accounts: AccountsPort,
    private readonly billing: BillingPort,
    private readonly analytics: JourneyAnalytics,
  ) {}

  viewLanding(page: string | undefined): 'home' | 'pricing' {
    const shown = page === 'pricing' ? 'pricing' : 'home';
    this.analytics.landingViewed(shown);
    return shown;
  }

  async signUp(form: Record<string, unknown>): Promise<{ userId: string; plan: Plan }> {
    const email = String(form.email ?? '').trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new InvalidInputError('a valid email is required');
    const plan = PLANS.includes(form.plan as Plan) ? (form.plan as Plan) : 'basic';
    const channel = CHANNELS.includes(form.channel as Channel) ? (form.channel as Channel) : 'direct';
    const { id } = await this.accounts.create({ email, plan, channel });
    this.analytics.identify(id);
    return { userId: id, plan };
  }

  async checkout(input: Record<string, unknown>): Promise<{ orderId: string; amountUsd: number }> {
    const userId = String(input.userId ?? '');
    if (!userId) throw new InvalidInputError('userId is required');
    const plan = PLANS.includes(input.plan as Plan) ? (input.plan as Plan) : 'basic';
    this.analytics.identify(userId);
    return this.billing.checkout({ userId, plan });
  }
}
