import { context, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { LightTracerProvider } from '../src/adapters/light-tracer.js';
import { ensureContextManager } from '../src/adapters/otel-traces.js';

/** Periscope's span recorder keeps the OpenTelemetry SDK's rules: sampling, parentage, suppression, limits, one end. */
ensureContextManager();

function provider(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => void ended.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const p = new LightTracerProvider({ resource: resourceFromAttributes({ 'service.name': 't' }), sampler, processor });
  return { tracer: p.getTracer('test'), ended };
}

describe('the light tracer', () => {
  it('a child joins its parent trace; a root starts a new one with valid random IDs', () => {
    const { tracer, ended } = provider();
    const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.end();
    parent.end();
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(ended[0]?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(parent.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(parent.spanContext().spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    expect(new Set(Array.from({ length: 1000 }, () => tracer.startSpan('x').spanContext().spanId)).size).toBe(1000);
  });

  it('an unsampled remote parent gives a non-recording span in the same trace, never exported', () => {
    const { tracer, ended } = provider();
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const span = tracer.startSpan('GET', {}, remote);
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ended).toHaveLength(0);
  });

  it('a ratio sampler at 0 records nothing; suppressed tracing gives an invalid, non-recording span', () => {
    const { tracer, ended } = provider(new TraceIdRatioBasedSampler(0));
    tracer.startSpan('dropped').end();
    expect(ended).toHaveLength(0);
    const all = provider();
    const suppressed = all.tracer.startSpan('export', {}, suppressTracing(ROOT_CONTEXT));
    expect(suppressed.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(suppressed.spanContext())).toBe(false);
  });

  it('keeps valid attribute values only, caps them at 128 and counts the rest', () => {
    const { tracer, ended } = provider();
    const span = tracer.startSpan('limits', { attributes: { ok: 'yes', bad: { nested: true } as never, mixed: [1, 'a'] as never } });
    for (let i = 0; i < 200; i++) span.setAttribute(`k${i}`, i);
    span.end();
    const done = ended[0] as ReadableSpan;
    expect(done.attributes.ok).toBe('yes');
    expect(done.attributes.bad).toBeUndefined();
    expect(done.attributes.mixed).toBeUndefined();
    expect(Object.keys(done.attributes)).toHaveLength(128);
    expect(done.droppedAttributesCount).toBe(73);
  });

  it("copies the caller's attributes: later changes to that object do not reach the span", () => {
    const { tracer, ended } = provider();
    const given: Record<string, unknown> = { method: 'GET', port: 8080, ok: true };
    const arrays: Record<string, unknown> = { tags: ['a', 'b'], n: 1 };
    const span = tracer.startSpan('copied', { attributes: given as never });
    const other = tracer.startSpan('with arrays', { attributes: arrays as never });
    given.method = 'POST';
    given.added = 'late';
    (arrays.tags as string[]).push('c');
    span.end();
    other.end();
    expect(ended[0]?.attributes).toEqual({ method: 'GET', port: 8080, ok: true });
    expect(ended[1]?.attributes).toEqual({ tags: ['a', 'b'], n: 1 });
  });

  it('leaves out empty keys, undefined and null values, inherited and symbol keys, whatever else the object holds', () => {
    const { tracer, ended } = provider();
    const inherited = Object.create({ fromPrototype: 'x' }) as Record<string, unknown>;
    inherited.own = 'yes';
    tracer.startSpan('a', { attributes: { '': 'empty key', kept: 1 } }).end();
    tracer.startSpan('b', { attributes: { gone: undefined, nothing: null as never, kept: 'k' } }).end();
    tracer.startSpan('c', { attributes: inherited as never }).end();
    tracer.startSpan('d', { attributes: { [Symbol('not an attribute')]: 'x', kept: true } as never }).end();
    expect(ended.map((span) => span.attributes)).toEqual([{ kept: 1 }, { kept: 'k' }, { own: 'yes' }, { kept: true }]);
    expect(Object.getOwnPropertySymbols(ended[3]?.attributes)).toEqual([]);
  });

  it('startActiveSpan makes the span active for the callback; a second end() is ignored', () => {
    const { tracer, ended } = provider();
    const seen = tracer.startActiveSpan('active', (span) => {
      const active = trace.getSpan(context.active());
      span.end();
      span.end();
      span.setAttribute('late', true);
      return active === span;
    });
    expect(seen).toBe(true);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.attributes.late).toBeUndefined();
    expect((ended[0]?.duration[0] ?? -1) >= 0).toBe(true);
  });
});
