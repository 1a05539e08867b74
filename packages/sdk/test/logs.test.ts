import { setTimeout as sleep } from 'node:timers/promises';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';

let telemetry: Telemetry;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await telemetry?.shutdown();
});

function make(options: TelemetryOptions = {}) {
  const logs = new LogLines();
  const exporter = new InMemorySpanExporter();
  telemetry = createTelemetry({
    serviceName: 'checkout',
    environment: 'staging',
    metrics: { server: false },
    ...options,
    logs: { destination: logs, ...options.logs },
    traces: { exporter, scheduledDelayMillis: 5, ...options.traces },
  });
  return { logs, exporter };
}

describe('logs', () => {
  it('lines written inside a request carry the real trace ID of its span', async () => {
    const { logs, exporter } = make();
    server = await startServer(telemetry, async (_req, res) => {
      telemetry.logger.info('handling');
      await sleep(1);
      telemetry.logger.child({ module: 'db' }).warn('slow query');
      res.end();
    });
    await fetch(`${server.url}/orders`, { headers: { 'x-correlation-id': 'c-1' } });
    await telemetry.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span).toBeDefined();
    const expected = {
      trace_id: span?.spanContext().traceId,
      span_id: span?.spanContext().spanId,
      trace_flags: '01',
      correlation_id: 'c-1',
      service: 'checkout',
      env: 'staging',
    };
    expect(logs.withMessage('handling')[0]).toMatchObject(expected);
    expect(logs.withMessage('slow query')[0]).toMatchObject({ ...expected, module: 'db', level: 'warn' });
    expect(logs.withMessage('handling')[0]?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a line follows the request's active span and its user as they change, and IDs are never mixed between requests", async () => {
    const { logs, exporter } = make();
    server = await startServer(telemetry, async (req, res) => {
      const n = new URL(req.url ?? '/', 'http://x').searchParams.get('n');
      telemetry.logger.info(`server span ${n}`);
      await telemetry.tracer.startActiveSpan('db', async (span) => {
        telemetry.logger.info(`child span ${n}`);
        await sleep(1);
        span.end();
      });
      telemetry.setUser(`user-${n}`);
      telemetry.logger.info(`after user ${n}`);
      res.end();
    });
    await Promise.all(['1', '2'].map((n) => fetch(`${server?.url}/orders?n=${n}`, { headers: { 'x-correlation-id': `c-${n}` } })));
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans();
    for (const n of ['1', '2']) {
      const first = logs.withMessage(`server span ${n}`)[0];
      const child = logs.withMessage(`child span ${n}`)[0];
      const after = logs.withMessage(`after user ${n}`)[0];
      const server = spans.find((s) => s.name !== 'db' && s.spanContext().spanId === first?.span_id);
      const db = spans.find((s) => s.name === 'db' && s.spanContext().spanId === child?.span_id);
      expect(server, `line ${n} carries a server span's ID`).toBeDefined();
      expect(db?.parentSpanContext?.spanId).toBe(first?.span_id);
      expect(child).toMatchObject({ trace_id: first?.trace_id, correlation_id: `c-${n}` });
      expect(first).not.toHaveProperty('user_id');
      expect(after).toMatchObject({ span_id: first?.span_id, user_id: `user-${n}`, correlation_id: `c-${n}` });
    }
  });

  it('lines outside a request carry service and env but no request IDs', () => {
    const { logs } = make();
    telemetry.logger.info('boot');
    const [line] = logs.withMessage('boot');
    expect(line).toMatchObject({ service: 'checkout', env: 'staging', level: 'info' });
    expect(line).not.toHaveProperty('trace_id');
    expect(line).not.toHaveProperty('correlation_id');
  });

  it('secrets are redacted by default, at the top level and nested', () => {
    const { logs } = make();
    telemetry.logger.info(
      {
        password: 'hunter2',
        token: 't',
        apiKey: 'k',
        secret: 's',
        req: { headers: { authorization: 'Bearer x', cookie: 'sid=1', 'set-cookie': 'sid=2', accept: 'json' } },
        user: { password: 'p', name: 'ada' },
      },
      'secrets',
    );
    const [line] = logs.withMessage('secrets');
    const text = JSON.stringify(line);
    for (const secret of ['hunter2', 'Bearer x', 'sid=1', 'sid=2', '"p"']) expect(text).not.toContain(secret);
    expect(line).toMatchObject({
      password: '[Redacted]',
      token: '[Redacted]',
      apiKey: '[Redacted]',
      secret: '[Redacted]',
      req: { headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'set-cookie': '[Redacted]', accept: 'json' } },
      user: { password: '[Redacted]', name: 'ada' },
    });
  });

  it('redaction paths are configurable', () => {
    const { logs } = make({ logs: { redact: ['card.number'] } });
    telemetry.logger.info({ card: { number: '4242', brand: 'visa' }, password: 'x' }, 'card');
    expect(logs.withMessage('card')[0]).toMatchObject({ card: { number: '[Redacted]', brand: 'visa' }, password: '[Redacted]' });
  });

  it('one access-log line per request with method, route, status and duration', async () => {
    const { logs } = make();
    server = await startServer(
      telemetry,
      (req, res) => {
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end();
      },
      (req) => (req.url === '/missing' ? undefined : '/items/:id'),
    );
    await fetch(`${server.url}/items/7?secret=1`);
    await fetch(`${server.url}/missing`);
    const lines = logs.withMessage('request completed');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', route: '/items/:id', path: '/items/7', status_code: 200 });
    expect(lines[0]?.duration_ms).toBeTypeOf('number');
    expect(JSON.stringify(lines[0])).not.toContain('secret=1');
    expect(lines[1]).toMatchObject({ level: 'warn', route: 'unmatched', status_code: 404 });
  });

  it('a 5xx access-log line is an error with the error type', async () => {
    const { logs } = make();
    server = await startServer(telemetry, (_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await fetch(`${server.url}/x`);
    expect(logs.withMessage('request failed')[0]).toMatchObject({ level: 'error', status_code: 503, error_type: '503' });
  });

  it('the access log can be turned off', async () => {
    const { logs } = make({ logs: { accessLog: false } });
    server = await startServer(telemetry, (_req, res) => res.end());
    await fetch(server.url);
    expect(logs.lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('request'))).toEqual([]);
  });

  it('logs.level filters lines', () => {
    const { logs } = make({ logs: { level: 'warn' } });
    telemetry.logger.info('hidden');
    telemetry.logger.warn('shown');
    expect(logs.lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
