import { createRequire } from 'node:module';
import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { type LightSpan, LightTracerProvider } from '../src/adapters/light-tracer.js';
import { encodeExportRequest, encodeSpan } from '../src/adapters/otlp-span-encoder.js';

/**
 * Periscope's OTLP protobuf encoder against OpenTelemetry's own serializer:
 * the same spans go through both, and both bodies are decoded with the
 * official OTLP definitions (otlp-transformer 0.216's generated root, as the
 * test receiver does). The decoded requests must be equal, field for field.
 */
const require = createRequire(import.meta.url);
const Request = require('otlp-decode/build/src/generated/root.js').opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const decode = (body: Uint8Array): unknown =>
  Request.toObject(Request.decode(body), { longs: String, bytes: String, defaults: true, arrays: true });

function collect(encodeOnEnd: boolean): { provider: LightTracerProvider; ended: ReadableSpan[] } {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => {},
    // The encoded bytes are a view of the encoder's scratch buffer: kept as a copy, as the export queue does.
    onEnd: (span) => {
      const encoded = (span as { encoded?: Uint8Array }).encoded;
      ended.push(
        encoded
          ? ({
              encoded: Buffer.from(encoded),
              instrumentationScope: span.instrumentationScope,
              resource: span.resource,
            } as unknown as ReadableSpan)
          : span,
      );
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const resource = resourceFromAttributes({ 'service.name': 'encoder', 'deployment.environment.name': 'test', 'k8s.pod.uid': 'ü-42' });
  const provider = new LightTracerProvider({
    resource,
    sampler: new AlwaysOnSampler(),
    processor,
    encodeOnEnd: encodeOnEnd ? encodeSpan : undefined,
  });
  return { provider, ended };
}

/** One error for both recordings, so their stack traces match. */
const DECLINED = Object.assign(new Error('card declined: ✗'), { name: 'PaymentError' });

/** Spans that exercise every field and every value type, long and non-ASCII strings included. */
function record(provider: LightTracerProvider): void {
  const tracer = provider.getTracer('@periscope/sdk', '0.1.0');
  const other = provider.getTracer('shop.checkout', undefined, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=x y'),
  });
  const server = tracer.startSpan(
    'GET /users/:id',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/users/ünïcödé/😀',
        'server.port': 8080,
        'negative.int': -42,
        'big.double': 2 ** 60,
        ratio: 0.125,
        flag: true,
        'off.flag': false,
        empty: '',
        'long.text': 'x'.repeat(200) + 'é'.repeat(9000),
        'string.array': ['a', 'bé', ''],
        'number.array': [1, 2.5, -3],
        'bool.array': [true, false],
      },
      links: [
        {
          context: { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1 },
          attributes: { why: 'retry' },
        },
      ],
    },
    remoteParent,
  );
  server.addEvent('checkout.completed', { plan: 'pro', amount_usd: 12.5, items: 3 });
  server.recordException(DECLINED);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'PaymentError' });
  const child = other.startSpan('charge', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), server));
  child.setAttribute('retries', 0);
  child.end();
  server.updateName('POST /checkout');
  server.end();
  const root = tracer.startSpan('job', { kind: SpanKind.INTERNAL });
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
}

describe("Periscope's OTLP span encoder", () => {
  it('writes the request OpenTelemetry would, decoded with the official protos', () => {
    // Kept as objects: the reference serializer reads them.
    const kept = collect(false);
    record(kept.provider);
    // Encoded as they end: what the exporter queue holds in production.
    const eager = collect(true);
    record(eager.provider);
    expect(eager.ended.every((span) => (span as LightSpan).encoded !== undefined)).toBe(true);

    const resource = kept.ended[0]?.resource;
    if (!resource) throw new Error('no spans recorded');
    const reference = decode(ProtobufTraceSerializer.serializeRequest(kept.ended) as Uint8Array) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
    };
    const ours = decode(encodeExportRequest(kept.ended, resource)) as typeof reference;
    const oursEager = decode(encodeExportRequest(eager.ended, resource)) as typeof reference;

    // IDs and times differ between the two recordings; the first comparison uses the same spans.
    expect(ours).toEqual(reference);
    const shape = (request: typeof reference) =>
      request.resourceSpans[0]?.scopeSpans.map((scope) =>
        scope.spans.map(({ traceId, spanId, parentSpanId, startTimeUnixNano, endTimeUnixNano, events, links, ...rest }) => ({
          ...rest,
          hasParent: parentSpanId !== undefined,
          events: (events as Array<Record<string, unknown>> | undefined)?.map(({ timeUnixNano, ...event }) => event),
          links: (links as Array<Record<string, unknown>> | undefined)?.map(({ traceId, spanId, ...link }) => link),
        })),
      );
    expect(shape(oursEager)).toEqual(shape(reference));
    expect(reference.resourceSpans[0]?.scopeSpans).toHaveLength(2);
  });

  it('writes IDs given in upper-case hex (valid in the OpenTelemetry API) as the reference does', () => {
    const { provider, ended } = collect(false);
    const parent = trace.setSpanContext(context.active(), {
      traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
      spanId: '00F067AA0BA902B7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    provider.getTracer('ids').startSpan('child', {}, parent).end();
    const resource = ended[0]?.resource;
    if (!resource) throw new Error('no spans recorded');
    const reference = decode(ProtobufTraceSerializer.serializeRequest(ended) as Uint8Array);
    expect(decode(encodeExportRequest(ended, resource))).toEqual(reference);
  });

  it('keeps every span intact through the scratch buffer, large spans included', () => {
    // Thousands of spans; every 97th carries 6-20 kB.
    const { provider, ended } = collect(true);
    const tracer = provider.getTracer('slabs');
    for (let i = 0; i < 3000; i++) {
      const span = tracer.startSpan(`span ${i}`, {
        attributes: { i, pad: i % 97 === 0 ? 'é'.repeat(3000 + (i % 7000)) : 'x'.repeat(i % 40) },
      });
      span.end();
    }
    const request = decode(encodeExportRequest(ended, ended[0]?.resource as never)) as {
      resourceSpans: Array<{
        scopeSpans: Array<{ spans: Array<{ name: string; attributes: Array<{ key: string; value: Record<string, string> }> }> }>;
      }>;
    };
    const spans = request.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    expect(spans).toHaveLength(3000);
    spans.forEach((span, i) => {
      expect(span.name).toBe(`span ${i}`);
      const attributes = Object.fromEntries(span.attributes.map((a) => [a.key, a.value.intValue ?? a.value.stringValue]));
      expect(attributes).toEqual({ i: String(i), pad: i % 97 === 0 ? 'é'.repeat(3000 + (i % 7000)) : 'x'.repeat(i % 40) });
    });
  });

  it('keeps nanosecond times consistent: end after start, events between', () => {
    const { provider, ended } = collect(false);
    record(provider);
    const request = decode(encodeExportRequest(ended, ended[0]?.resource as never)) as {
      resourceSpans: Array<{
        scopeSpans: Array<{
          spans: Array<{ startTimeUnixNano: string; endTimeUnixNano: string; events?: Array<{ timeUnixNano: string }> }>;
        }>;
      }>;
    };
    const spans = request.resourceSpans[0]?.scopeSpans.flatMap((scope) => scope.spans) ?? [];
    expect(spans.length).toBe(3);
    for (const span of spans) {
      const start = BigInt(span.startTimeUnixNano);
      const end = BigInt(span.endTimeUnixNano);
      expect(end >= start).toBe(true);
      expect(Number(start / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
      for (const event of span.events ?? []) {
        expect(BigInt(event.timeUnixNano) >= start && BigInt(event.timeUnixNano) <= end).toBe(true);
      }
    }
  });
});
