import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startA, startB, startC } from './cross-service/services.js';
import { poll } from './support/poll.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Journey {
  name: string;
  headers: Record<string, string>;
  /** The correlation ID the caller sent, if it sent one. */
  sent?: string;
}

const journeys: Journey[] = [
  { name: 'with an x-correlation-id from the caller', headers: { 'x-correlation-id': 'checkout-42.retry_1' }, sent: 'checkout-42.retry_1' },
  { name: 'without an x-correlation-id', headers: {} },
];

/** A's Express calls B's Fastify with fetch; B calls C's Nest (Express platform) with node:http. */
describe.each(journeys.map((journey) => [journey.name, journey] as const))(
  'A (Express) -> B (Fastify) -> C (Nest) %s',
  (_name, { headers, sent }) => {
    let a: Service;
    let b: Service;
    let c: Service;
    let response: Response;
    let body: unknown;
    /** Each service's spans, by role. */
    let spans: Record<'A server' | 'A client' | 'B server' | 'B client' | 'C server', ReadableSpan | undefined>;

    beforeAll(async () => {
      c = await startC();
      b = await startB(c.url);
      a = await startA(b.url);
      response = await fetch(`${a.url}/a`, { headers });
      body = await response.json();
      // Each service records its request when its response ends: wait for all three access lines.
      await poll(() => [a, b, c].every((s) => s.logs.access().length === 1));
      await Promise.all([a, b, c].map((s) => s.telemetry.forceFlush()));
      const one = (s: Service, kind: SpanKind) => {
        const found = s.exporter.getFinishedSpans().filter((span) => span.kind === kind);
        expect(found, `${s.name}: ${SpanKind[kind]} spans`).toHaveLength(1);
        return found[0];
      };
      spans = {
        'A server': one(a, SpanKind.SERVER),
        'A client': one(a, SpanKind.CLIENT),
        'B server': one(b, SpanKind.SERVER),
        'B client': one(b, SpanKind.CLIENT),
        'C server': one(c, SpanKind.SERVER),
      };
    });

    afterAll(async () => {
      for (const s of [a, b, c]) {
        await s?.close();
        await s?.telemetry.shutdown();
      }
    });

    it('the request goes through all three services', () => {
      expect(response.status).toBe(200);
      expect(body).toEqual({ a: true, b: { b: true, c: { c: true } } });
    });

    it('the caller gets back the correlation ID it sent, or the one A generated', () => {
      const echoed = response.headers.get('x-correlation-id');
      if (sent !== undefined) expect(echoed).toBe(sent);
      else expect(echoed).toMatch(UUID);
      expect(echoed).toBe(spans['A server']!.attributes['periscope.correlation_id']);
    });

    it('every server and client span of the three services is in one trace', () => {
      const traceIds = Object.values(spans).map((span) => span!.spanContext().traceId);
      expect(traceIds).toHaveLength(5);
      expect(new Set(traceIds).size).toBe(1);
      expect(traceIds[0]).toMatch(/^[0-9a-f]{32}$/);
    });

    it("each server span's parent is the caller's client span; each client span's parent is its own service's server span", () => {
      const roleOf = new Map(Object.entries(spans).map(([role, span]) => [span!.spanContext().spanId, role]));
      const parents = Object.fromEntries(
        Object.entries(spans).map(([role, span]) => {
          const parent = span!.parentSpanContext;
          return [role, parent ? `${roleOf.get(parent.spanId) ?? parent.spanId}${parent.isRemote ? ' (remote)' : ''}` : 'none'];
        }),
      );
      expect(parents).toEqual({
        'A server': 'none',
        'A client': 'A server',
        'B server': 'A client (remote)',
        'B client': 'B server',
        'C server': 'B client (remote)',
      });
    });

    it('every log line of the three services carries the one correlation ID and the one trace ID', () => {
      const correlationId = response.headers.get('x-correlation-id');
      const traceId = spans['A server']!.spanContext().traceId;
      const lines = [a, b, c].flatMap((s) =>
        s.logs.lines.map((line) => ({
          service: line.service,
          msg: line.msg,
          correlation_id: line.correlation_id,
          trace_id: line.trace_id,
        })),
      );
      const expected = (service: string, msg: string) => ({ service, msg, correlation_id: correlationId, trace_id: traceId });
      expect(lines).toEqual([
        expected('a', 'a calling b'),
        expected('a', 'request completed'),
        expected('b', 'b calling c'),
        expected('b', 'request completed'),
        expected('c', 'c answering'),
        expected('c', 'request completed'),
      ]);
    });
  },
);
