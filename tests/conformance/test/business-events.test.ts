import { createTelemetry, type Telemetry } from '@periscope/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The SDK's test receiver: decodes what the real OTLP/HTTP exporter sends with the official protobuf definitions.
import { OtlpReceiver } from '../../../packages/sdk/test/support/otlp-receiver.js';
import { LogLines } from './support/log-lines.js';
import { parseOpenMetrics, sameSeries } from './support/openmetrics.js';
import { SHOP_EVENTS } from './variants/contract.js';
import { variants } from './variants/index.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterAll(() => receiver.close());

describe.each(variants)('business events inside one $name request', (variant) => {
  it('become counters on /metrics, a log line with the request IDs, and span events exported over OTLP', async () => {
    const logs = new LogLines();
    const serviceName = `shop-${variant.name.replace(/\W+/g, '-').toLowerCase()}`;
    const telemetry = createTelemetry({
      serviceName,
      env: {},
      events: SHOP_EVENTS,
      metrics: { server: false, runtime: false },
      logs: { destination: logs },
      traces: { endpoint: receiver.url, scheduledDelayMillis: 5 },
    });
    const server = await variant.start(telemetry as unknown as Telemetry);
    try {
      const response = await fetch(`${server.url}/checkout`, { headers: { 'x-correlation-id': `events-${serviceName}` } });
      expect(response.status).toBe(200);
      await telemetry.forceFlush();

      const samples = parseOpenMetrics(await telemetry.metrics('openmetrics'));
      const value = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && sameSeries(s, labels))?.value;
      expect(value('business_events_total', { event: 'checkout.started', plan: 'pro' })).toBe(1);
      expect(value('business_events_total', { event: 'checkout.completed', plan: 'pro' })).toBe(1);
      expect(value('business_event_value_total', { event: 'checkout.completed', plan: 'pro' })).toBe(42.5);

      const spans = (await receiver.waitForSpans(1)).filter((s) => s.resource['service.name'] === serviceName && s.kind === 2);
      expect(spans).toHaveLength(1);
      const [span] = spans;
      expect(span?.events.map((e) => [e.name, e.attributes])).toEqual([
        ['checkout.started', { plan: 'pro' }],
        ['checkout.completed', { plan: 'pro', coupon: 'WINTER', amount_usd: 42.5 }],
      ]);

      const lines = logs.lines.filter((l) => l.msg === 'business event');
      expect(lines.map((l) => l.event)).toEqual(['checkout.started', 'checkout.completed']);
      for (const line of lines) {
        expect(line).toMatchObject({ correlation_id: `events-${serviceName}`, trace_id: span?.traceId, service: serviceName });
      }
      expect(lines[1]?.properties).toEqual({ plan: 'pro', coupon: 'WINTER', amount_usd: 42.5 });
    } finally {
      await server.close();
      await telemetry.shutdown();
    }
  });
});
