import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { correlationJson } from '../src/adapters/correlation-json.js';
import { createOwnLines } from '../src/adapters/own-lines.js';
import type { AccessLineFields } from '../src/core/ports.js';
import { logCorrelationFields, withRequestContext } from '../src/core/request-context.js';
import { createTelemetry, defineEvents } from '../src/index.js';
import { LogLines } from './support/log-lines.js';

/**
 * Periscope writes its own lines (access log, business events) without pino:
 * they must be what pino would have written for the same fields in the same
 * context, key for key, and follow pino's level.
 */
const events = defineEvents({ 'user.signed_up': { labels: ['plan'], properties: ['referrer'] } });

function make(level: 'info' | 'warn' = 'info', serviceVersion?: string) {
  const logs = new LogLines();
  const telemetry = createTelemetry({
    serviceName: 'shop',
    serviceVersion,
    environment: 'test',
    events,
    logs: { destination: logs, level },
    metrics: { server: false, runtime: false },
    traces: { exporter: 'none' },
  });
  return { telemetry, logs };
}

const strip = (line: Record<string, unknown> | undefined) => {
  const { time, ...rest } = line ?? {};
  expect(typeof time).toBe('number');
  return rest;
};

describe("Periscope's own log lines", () => {
  it('an access line and an event line equal what pino writes for the same fields in the same request', async () => {
    const { telemetry, logs } = make('info', '1.2.3');
    const observation = telemetry.http.start({ method: 'GET', url: '/users/7?x=1', headers: { 'x-correlation-id': 'corr-1234' } });
    observation.run(() => {
      telemetry.setUser('user-42');
      telemetry.track('user.signed_up', { plan: 'pro', referrer: 'ads "quoted" ünïcode\n' });
      telemetry.logger.info({ event: 'user.signed_up', properties: { plan: 'pro', referrer: 'ads "quoted" ünïcode\n' } }, 'business event');
    });
    observation.finish({ route: '/users/:id', statusCode: 200 });
    await new Promise((r) => setImmediate(r));
    const [own, viaPino] = logs.withMessage('business event');
    expect(strip(own)).toEqual(strip(viaPino));
    expect(own?.user_id).toBe('user-42');
    expect(own?.service_version).toBe('1.2.3');
    const access = logs.withMessage('request completed')[0];
    observation.run(() =>
      telemetry.logger.info(
        {
          method: access?.method,
          route: access?.route,
          path: access?.path,
          status_code: access?.status_code,
          duration_ms: access?.duration_ms,
        },
        'request completed',
      ),
    );
    const pinoAccess = logs.withMessage('request completed')[1];
    expect(strip(access)).toEqual(strip(pinoAccess));
    expect(Object.keys(access ?? {})).toEqual(Object.keys(pinoAccess ?? {}));
    await telemetry.shutdown();
  });

  it("follows pino's level: at warn, event and successful access lines are not written, a 404 line is", async () => {
    const { telemetry, logs } = make('warn');
    const ok = telemetry.http.start({ method: 'GET', url: '/a', headers: {} });
    ok.run(() => telemetry.track('user.signed_up', { plan: 'pro' }));
    ok.finish({ route: '/a', statusCode: 200 });
    telemetry.http.start({ method: 'GET', url: '/missing', headers: {} }).finish({ statusCode: 404 });
    await new Promise((r) => setImmediate(r));
    expect(logs.lines.map((l) => [l.level, l.msg, l.status_code])).toEqual([['warn', 'request completed', 404]]);
    await telemetry.shutdown();
  });
});

/**
 * The access line is written field by field (`writeAccess`) rather than by
 * serialising an object: for any text in its fields, it must be byte for byte
 * the line the generic path (`writeIn`, one `JSON.stringify`) writes.
 */
describe('the access line, written field by field', () => {
  const awkward = [
    'plain',
    '/users/:id',
    '',
    'quote " and backslash \\',
    'controls \u0000\u0001\n\t\u001f',
    'ünïcode ✓ and an emoji 🚀',
    'lone surrogates \ud800 and \udfff',
    'DEL \u007f and line separator \u2028',
  ];

  function linesFor(ctx: Context, fields: AccessLineFields, level: 'info' | 'warn' | 'error' = 'info') {
    const written: string[] = [];
    const destination = { write: (line: string) => written.push(line) };
    const lines = createOwnLines(pino({ level: 'info' }, destination), destination, { service: 'shop' });
    lines.writeAccess?.(ctx, level, fields, 'request completed');
    lines.writeIn?.(ctx, level, fields, 'request completed');
    expect(written).toHaveLength(2);
    const [fast, generic] = written.map((line) => line.replace(/"time":\d+/, '"time":0'));
    return { fast, generic };
  }

  const requestCtx = (userId: string | undefined, text: string) =>
    withRequestContext(
      trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
      { correlationId: `corr-${text}`, requestId: 'req-1', userId },
    );

  it('equals the generic line for awkward text in every string field and in the IDs', () => {
    for (const text of awkward) {
      const { fast, generic } = linesFor(requestCtx(text, text), {
        method: text,
        route: text,
        path: text,
        status_code: 200,
        duration_ms: 1.234,
      });
      expect(fast).toBe(generic);
      expect(JSON.parse(fast ?? '').path).toBe(JSON.parse(JSON.stringify(text)));
    }
  });

  it('equals the generic line with an error type, when aborted, without a status code, and outside a request', () => {
    const cases: AccessLineFields[] = [
      { method: 'GET', route: '/a', path: '/a', status_code: 503, duration_ms: 12, error_type: '503' },
      { method: 'GET', route: '/a', path: '/a', status_code: undefined, duration_ms: 0.001, error_type: 'aborted', aborted: true },
      { method: 'POST', route: 'unmatched', path: '/x', status_code: 404, duration_ms: Number.NaN },
    ];
    for (const fields of cases) {
      for (const ctx of [requestCtx(undefined, 'x'), ROOT_CONTEXT]) {
        const { fast, generic } = linesFor(ctx, fields, 'warn');
        expect(fast).toBe(generic);
      }
    }
  });

  it('the IDs fragment equals JSON.stringify of the correlation fields', () => {
    for (const text of awkward) {
      for (const ctx of [
        requestCtx(text, text),
        requestCtx(undefined, text),
        trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }),
      ]) {
        const expected = `,${JSON.stringify(logCorrelationFields(ctx)).slice(1, -1)}`;
        expect(correlationJson(ctx)).toBe(expected);
      }
    }
  });
});
