import 'reflect-metadata';
import type { Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PeriscopeLogger } from '../src/index.js';
import { periscopeApps, platforms } from './support/app.js';
import { Gate, ProbeController, UsersController, UsersService } from './support/fixture.js';
import { expectObserved } from './support/observed.js';
import { createTestTelemetry } from './support/telemetry.js';

describe('PeriscopeLogger mapping', () => {
  it('maps Nest levels to pino levels and the trailing context argument to the context field', async () => {
    const t = createTestTelemetry();
    const logger = new PeriscopeLogger(t.telemetry);
    const stack = 'Error: kaput\n    at handler (/app/src/x.ts:10:5)';
    logger.log('plain');
    logger.log('with context', 'Bootstrap');
    logger.log({ order: 42 }, 'Orders');
    logger.warn('careful', 'Orders');
    logger.debug('details', 'Orders');
    logger.verbose('chatty', 'Orders');
    logger.error('failed', stack, 'Orders');
    logger.error('failed without stack', 'Orders');
    logger.error('failed with stack only', stack);
    logger.error(new Error('thrown'), 'Orders');
    logger.fatal('down', stack, 'Main');
    logger.log('first', 'second', 'Orders');
    const lines = t.logs().map(({ level, msg, context, stack, order, messages, err }) => ({
      level,
      msg,
      context,
      stack,
      order,
      messages,
      err: (err as { message?: string } | undefined)?.message,
    }));
    const u = undefined;
    expect(lines).toEqual([
      { level: 'info', msg: 'plain', context: u, stack: u, order: u, messages: u, err: u },
      { level: 'info', msg: 'with context', context: 'Bootstrap', stack: u, order: u, messages: u, err: u },
      { level: 'info', msg: u, context: 'Orders', stack: u, order: 42, messages: u, err: u },
      { level: 'warn', msg: 'careful', context: 'Orders', stack: u, order: u, messages: u, err: u },
      { level: 'debug', msg: 'details', context: 'Orders', stack: u, order: u, messages: u, err: u },
      { level: 'trace', msg: 'chatty', context: 'Orders', stack: u, order: u, messages: u, err: u },
      { level: 'error', msg: 'failed', context: 'Orders', stack, order: u, messages: u, err: u },
      { level: 'error', msg: 'failed without stack', context: 'Orders', stack: u, order: u, messages: u, err: u },
      { level: 'error', msg: 'failed with stack only', context: u, stack, order: u, messages: u, err: u },
      { level: 'error', msg: 'thrown', context: 'Orders', stack: u, order: u, messages: u, err: 'thrown' },
      { level: 'fatal', msg: 'down', context: 'Main', stack, order: u, messages: u, err: u },
      { level: 'info', msg: 'first', context: 'Orders', stack: u, order: u, messages: ['second'], err: u },
    ]);
    await t.telemetry.shutdown();
  });

  it("writes nothing below the telemetry's log level", async () => {
    const t = createTestTelemetry({ logs: { level: 'warn' } });
    const logger = new PeriscopeLogger(t.telemetry);
    logger.log('dropped', 'X');
    logger.debug('dropped', 'X');
    logger.verbose('dropped', 'X');
    logger.warn('kept', 'X');
    expect(t.logs().map((line) => [line.level, line.msg])).toEqual([['warn', 'kept']]);
    await t.telemetry.shutdown();
  });
});

describe.each(platforms)('logs inside requests on %s', (platform) => {
  const app = periscopeApps(platform, () => ({
    controllers: [UsersController, ProbeController],
    providers: [UsersService, { provide: Gate, useValue: new Gate() }],
    setup: (nest) => nest.useLogger(nest.get(PeriscopeLogger)),
  }));
  const start = (): Promise<string> => app.start();

  it("Nest's own start-up lines go through PeriscopeLogger with their context", async () => {
    await start();
    expect(app.t.logs()).toContainEqual(
      expect.objectContaining({ level: 'info', context: 'NestApplication', msg: 'Nest application successfully started' }),
    );
  });

  it('PeriscopeLogger lines written in a request, after await, carry its trace_id, correlation_id and request_id', async () => {
    const url = await start();
    const response = await fetch(`${url}/users/5`, { headers: { 'x-correlation-id': 'corr-logger-1' } });
    await response.json();
    const { span } = await expectObserved(app.t, { method: 'GET', route: '/users/:id', path: '/users/5', status: 200, response });
    const line = app.t.logs().find((l) => l.msg === 'found 5');
    expect(line).toMatchObject({
      level: 'info',
      context: 'UsersService',
      trace_id: span.spanContext().traceId,
      correlation_id: 'corr-logger-1',
      request_id: response.headers.get('x-request-id'),
    });
  });

  it("a service's log line after await carries the request's trace_id", async () => {
    const url = await start();
    const response = await fetch(`${url}/users/9`);
    await response.json();
    const { span } = await expectObserved(app.t, { method: 'GET', route: '/users/:id', path: '/users/9', status: 200, response });
    expect(app.t.logs().find((l) => l.msg === 'user loaded')).toMatchObject({
      user: '9',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
      correlation_id: response.headers.get('x-correlation-id'),
    });
  });

  it("the request's context survives a JSON body that arrives after the headers: the POST handler's log line carries its IDs", async () => {
    const url = await start();
    // The rest of the body is sent only once the server has parsed the headers, so it is read
    // in a later socket read, outside the request's async context: the module must re-enter it.
    const server = app.nest.getHttpServer() as Server;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"name":"ada","padding":"'));
        server.once('request', () => {
          controller.enqueue(encoder.encode(`${'x'.repeat(1024)}"}`));
          controller.close();
        });
      },
    });
    const response = await fetch(`${url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-post-1' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { created: string; context: Record<string, string> };
    const { span } = await expectObserved(app.t, { method: 'POST', route: '/users', path: '/users', status: 201, response });
    expect(body).toMatchObject({ created: 'ada', context: { correlation_id: 'corr-post-1', trace_id: span.spanContext().traceId } });
    expect(app.t.logs().find((l) => l.msg === 'user loaded')).toMatchObject({
      user: 'ada',
      trace_id: span.spanContext().traceId,
      correlation_id: 'corr-post-1',
    });
  });

  it("Nest's own log of an unhandled exception carries the failing request's IDs", async () => {
    const url = await start();
    const response = await fetch(`${url}/boom`);
    expect(response.status).toBe(500);
    await response.json();
    const { span } = await expectObserved(app.t, {
      method: 'GET',
      route: '/boom',
      path: '/boom',
      status: 500,
      errorType: 'BoomError',
      response,
    });
    const nestLine = app.t.logs().find((l) => l.context === 'ExceptionsHandler');
    expect(nestLine).toMatchObject({
      level: 'error',
      trace_id: span.spanContext().traceId,
      correlation_id: response.headers.get('x-correlation-id'),
    });
  });
});
