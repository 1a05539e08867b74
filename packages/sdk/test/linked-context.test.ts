import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { LinkedContext } from '../src/core/linked-context.js';

/** The request context chain keeps OpenTelemetry's Context contract. */
describe('LinkedContext', () => {
  const a = createContextKey('a');
  const b = createContextKey('b');

  it('is immutable: set and delete return new contexts; the parent and siblings are unchanged', () => {
    const base = ROOT_CONTEXT.setValue(a, 'from-parent');
    const linked = LinkedContext.over(base);
    const withB = linked.setValue(b, 1);
    const shadowed = withB.setValue(a, 'own');
    const deleted = shadowed.deleteValue(a);
    expect(linked.getValue(a)).toBe('from-parent');
    expect(linked.getValue(b)).toBeUndefined();
    expect(withB.getValue(b)).toBe(1);
    expect(shadowed.getValue(a)).toBe('own');
    expect(deleted.getValue(a)).toBeUndefined();
    expect(deleted.getValue(b)).toBe(1);
    expect(deleted.setValue(a, 'again').getValue(a)).toBe('again');
    expect(base.getValue(b)).toBeUndefined();
  });

  it('carries spans for the trace API, and over() does not stack chains', () => {
    const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    const ctx = trace.setSpan(LinkedContext.over(ROOT_CONTEXT), span);
    expect(trace.getSpan(ctx)).toBe(span);
    expect(trace.getSpan(trace.deleteSpan(ctx))).toBeUndefined();
    expect(LinkedContext.over(ctx)).toBe(ctx);
  });
});
