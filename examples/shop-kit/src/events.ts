import { defineEvents } from '@periscope/sdk';

/**
 * The shop's business events, declared once and imported by every service,
 * so `track()` is checked by the compiler against the same catalog everywhere
 * and the funnel's steps have one spelling.
 */
export const shopEvents = defineEvents({
  'landing.viewed': { labels: ['page'], allowed: { page: ['home', 'pricing'] } },
  'user.signed_up': {
    labels: ['plan', 'channel'],
    allowed: { plan: ['basic', 'pro'], channel: ['ads', 'search', 'direct'] },
    properties: ['email'],
  },
  'checkout.completed': { labels: ['plan'], allowed: { plan: ['basic', 'pro'] }, value: 'amount_usd' },
});

/** landing → sign-up → checkout: `periscope top --funnel` and `periscope rules` read the same steps. */
export const shopFunnels = {
  signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'],
} as const;

export type ShopEvents = typeof shopEvents;
export type Plan = 'basic' | 'pro';
export type Channel = 'ads' | 'search' | 'direct';
