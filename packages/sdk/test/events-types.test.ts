import { describe, expect, expectTypeOf, it } from 'vitest';
import { createTelemetry, defineEvents, type EventProperties } from '../src/index.js';
import { LogLines } from './support/log-lines.js';

const events = defineEvents({
  'landing.viewed': {},
  'user.signed_up': { labels: ['plan', 'channel'], properties: ['referrer', 'email'] },
  'checkout.completed': { labels: ['plan'], value: 'amount_usd' },
});

/**
 * Compile-time checks: `pnpm typecheck` (tsc over test/) fails if any
 * `@ts-expect-error` below stops being an error, so this file is the type
 * test of the catalog. The function is never called.
 */
function typeChecks(telemetry: ReturnType<typeof createTelemetry<typeof events>>): void {
  telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads' });
  telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', referrer: 'newsletter', email: 'a@b.c' });
  telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 49 });
  telemetry.track('landing.viewed');
  telemetry.track('landing.viewed', {});

  // @ts-expect-error an unknown event name
  telemetry.track('user.signed_out', {});
  // @ts-expect-error a missing label
  telemetry.track('user.signed_up', { plan: 'pro' });
  // @ts-expect-error an unknown label or property
  telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', country: 'fr' });
  // @ts-expect-error a value on an event without one
  telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', amount_usd: 3 });
  // @ts-expect-error the value is missing
  telemetry.track('checkout.completed', { plan: 'pro' });
  // @ts-expect-error a label must be a string
  telemetry.track('checkout.completed', { plan: 1, amount_usd: 3 });
  // @ts-expect-error the value must be a number
  telemetry.track('checkout.completed', { plan: 'pro', amount_usd: '3' });
  // @ts-expect-error properties are required when the event has labels
  telemetry.track('checkout.completed');

  // @ts-expect-error user IDs never become labels
  defineEvents({ 'order.placed': { labels: ['user_id'] } });
  // @ts-expect-error emails never become labels
  defineEvents({ 'order.placed': { labels: ['plan', 'email'] } });

  const bare = createTelemetry({ serviceName: 'no-catalog' });
  // @ts-expect-error without a catalog there is nothing to track
  bare.track('anything', {});
}

describe('the event catalog types', () => {
  it('derives the properties of each event', () => {
    type Checkout = EventProperties<(typeof events)['checkout.completed']>;
    expectTypeOf<Checkout>().toHaveProperty('plan').toEqualTypeOf<string>();
    expectTypeOf<Checkout>().toHaveProperty('amount_usd').toEqualTypeOf<number>();
    expectTypeOf<EventProperties<(typeof events)['user.signed_up']>>().toHaveProperty('referrer');
    expect(typeChecks).toBeTypeOf('function');
  });

  it('a catalog passes through defineEvents unchanged', () => {
    const logs = new LogLines();
    const telemetry = createTelemetry({
      serviceName: 'types',
      events,
      logs: { destination: logs },
      metrics: { server: false },
      traces: { exporter: 'none' },
    });
    expect(Object.keys(events)).toEqual(['landing.viewed', 'user.signed_up', 'checkout.completed']);
    return telemetry.shutdown();
  });
});
