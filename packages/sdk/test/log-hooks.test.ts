import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { compileUserRedactor } from '../src/adapters/redaction.js';
import { createTelemetry, PeriscopeError, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { parseExposition, samplesOf } from './support/parse-metrics.js';

/** `logs.enrich` and `logs.redactor`: user hooks on every log line, guarded like every other hook. */

let telemetry: Telemetry;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await telemetry?.shutdown();
});

function make(logs: TelemetryOptions['logs']) {
  const lines = new LogLines();
  telemetry = createTelemetry({
    serviceName: 'checkout',
    env: {},
    metrics: { server: false, runtime: false },
    logs: { destination: lines, ...logs },
    traces: { exporter: new InMemorySpanExporter(), scheduledDelayMillis: 5 },
  });
  return lines;
}

/** A server whose handler logs one line with `fields`, then answers 200 "done". */
async function serve(fields: Record<string, unknown> = {}): Promise<string> {
  server = await startServer(telemetry, (_req, res) => {
    telemetry.logger.info(fields, 'handling');
    res.end('done');
  });
  return server.url;
}

async function get(url: string, correlationId: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/orders`, { headers: { 'x-correlation-id': correlationId } });
  return { status: response.status, body: await response.text() };
}

async function internalErrors(where: string): Promise<number> {
  const samples = samplesOf(parseExposition(await telemetry.metrics('text')), 'periscope_internal_errors_total', { where });
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

const access = (lines: LogLines) => lines.withMessage('request completed');
const warnings = (lines: LogLines, where: string) => lines.lines.filter((line) => line.component === 'periscope' && line.where === where);

describe('logs.enrich', () => {
  it('adds its fields to every line inside a request, the access line included, and to none outside', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const lines = make({
      enrich: (fields) => {
        seen.push({ ...fields });
        return { tenant: `t-${fields.correlation_id}` };
      },
    });
    const url = await serve();
    telemetry.logger.info('boot');
    expect(await get(url, 'c-1')).toEqual({ status: 200, body: 'done' });
    await telemetry.forceFlush();
    expect(lines.withMessage('handling')).toMatchObject([{ tenant: 't-c-1', correlation_id: 'c-1' }]);
    expect(access(lines)).toMatchObject([{ tenant: 't-c-1', correlation_id: 'c-1', route: '/orders' }]);
    expect(lines.withMessage('boot')[0]).not.toHaveProperty('tenant');
    // Called with the request's IDs, once per line inside the request.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ correlation_id: 'c-1', request_id: expect.any(String), trace_id: expect.any(String) });
  });

  it("cannot overwrite Periscope's IDs or the line's own fields, and its fields are redacted", async () => {
    const lines = make({
      enrich: () => ({ correlation_id: 'forged', step: 'enricher', token: 'tok-SECRET', nested: { password: 'pw-SECRET' } }),
    });
    const url = await serve({ step: 'handler' });
    await get(url, 'c-2');
    await telemetry.forceFlush();
    for (const line of [...lines.withMessage('handling'), ...access(lines)]) {
      expect(line.correlation_id).toBe('c-2');
      expect(line.token).toBe('[Redacted]');
      expect(line.nested).toEqual({ password: '[Redacted]' });
    }
    expect(lines.withMessage('handling')[0]?.step).toBe('handler');
    expect(JSON.stringify(lines.lines)).not.toContain('SECRET');
  });

  it.each<[string, () => Record<string, unknown>]>([
    [
      'throws',
      () => {
        throw new Error('enricher bug');
      },
    ],
    ['returns a string', () => 'tenant-a' as unknown as Record<string, unknown>],
    ['returns null', () => null as unknown as Record<string, unknown>],
  ])('an enricher that %s leaves the response unchanged; each line is written without its fields and counted', async (_, enrich) => {
    const lines = make({ enrich });
    const url = await serve();
    expect(await get(url, 'c-3')).toEqual({ status: 200, body: 'done' });
    expect(await get(url, 'c-4')).toEqual({ status: 200, body: 'done' });
    await telemetry.forceFlush();
    expect(lines.withMessage('handling').map((line) => line.correlation_id)).toEqual(['c-3', 'c-4']);
    expect(access(lines).map((line) => line.correlation_id)).toEqual(['c-3', 'c-4']);
    // Two lines per request (handler + access), each one failure; one warning in all.
    expect(await internalErrors('logs.enrich')).toBe(4);
    expect(warnings(lines, 'logs.enrich')).toHaveLength(1);
  });

  it('an enricher that logs does not call itself again', async () => {
    const lines = make({
      enrich: () => {
        telemetry.logger.info('from the enricher');
        return { tenant: 'a' };
      },
    });
    const url = await serve();
    expect(await get(url, 'c-5')).toEqual({ status: 200, body: 'done' });
    await telemetry.forceFlush();
    expect(lines.withMessage('from the enricher')).toHaveLength(2);
    expect(lines.withMessage('from the enricher')[0]).not.toHaveProperty('tenant');
    expect(lines.withMessage('handling')[0]?.tenant).toBe('a');
  });
});

describe('logs.redactor', () => {
  it('replaces values at any depth after the built-in rules; undefined drops the key', async () => {
    const lines = make({
      redactor: (key, value) => {
        if (key === 'email' && typeof value === 'string') return value.replace(/^[^@]+/, '***');
        if (key === 'internal') return undefined;
        return value;
      },
    });
    const url = await serve({ user: { email: 'ann@example.com', password: 'pw' }, list: [{ email: 'bob@example.com' }], internal: 1 });
    await get(url, 'c-6');
    const [line] = lines.withMessage('handling');
    expect(line?.user).toEqual({ email: '***@example.com', password: '[Redacted]' });
    expect(line?.list).toEqual([{ email: '***@example.com' }]);
    expect(line).not.toHaveProperty('internal');
    expect(line?.correlation_id).toBe('c-6');
  });

  it("applies to the enricher's fields on the access line too", async () => {
    const lines = make({
      enrich: () => ({ email: 'ann@example.com' }),
      redactor: (key, value) => (key === 'email' ? '[email]' : value),
    });
    const url = await serve();
    await get(url, 'c-7');
    await telemetry.forceFlush();
    expect(access(lines)[0]?.email).toBe('[email]');
    expect(lines.withMessage('handling')[0]?.email).toBe('[email]');
  });

  it('a throwing redactor leaves the response unchanged, fails closed and counts once per line', async () => {
    const lines = make({
      redactor: (key, value) => {
        if (key === 'card') throw new Error('redactor bug');
        return value;
      },
    });
    const url = await serve({ card: '4111-1111-1111-1111', order: 42 });
    expect(await get(url, 'c-8')).toEqual({ status: 200, body: 'done' });
    expect(await get(url, 'c-9')).toEqual({ status: 200, body: 'done' });
    const handled = lines.withMessage('handling');
    expect(handled.map((line) => [line.correlation_id, line.card, line.order])).toEqual([
      ['c-8', '[Redacted]', 42],
      ['c-9', '[Redacted]', 42],
    ]);
    expect(JSON.stringify(lines.lines)).not.toContain('4111');
    expect(await internalErrors('logs.redactor')).toBe(2);
    expect(warnings(lines, 'logs.redactor')).toHaveLength(1);
  });
});

describe('compileUserRedactor', () => {
  it('never modifies its input, and returns it as is when nothing changed', () => {
    const input = { a: { b: 1 }, c: [{ d: 2 }] };
    const same = compileUserRedactor(
      (_, value) => value,
      () => {},
    );
    expect(same(input)).toBe(input);
    const changed = compileUserRedactor(
      (key, value) => (key === 'd' ? 0 : value),
      () => {},
    )(input);
    expect(changed).toEqual({ a: { b: 1 }, c: [{ d: 0 }] });
    expect(input.c[0]?.d).toBe(2);
  });

  it('reports the first error of an object once', () => {
    const errors: unknown[] = [];
    const walk = compileUserRedactor(
      (key) => {
        throw new Error(`bad ${key}`);
      },
      (error) => errors.push(error),
    );
    expect(walk({ x: 1, y: 2 })).toEqual({ x: '[Redacted]', y: '[Redacted]' });
    expect(errors).toEqual([new Error('bad x')]);
  });
});

describe('option validation', () => {
  it.each(['enrich', 'redactor'])('a logs.%s that is not a function fails at start-up naming the option', (option) => {
    let caught: unknown;
    try {
      createTelemetry({ serviceName: 's', env: {}, logs: { [option]: 'nope' } as never });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PeriscopeError);
    expect((caught as PeriscopeError).code).toBe('PERISCOPE_INVALID_OPTION');
    expect((caught as PeriscopeError).message).toContain(`logs.${option}`);
  });
});
