import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, expectTypeOf, test } from 'vitest';
import { createHarness, deferred, type Harness, type LogLine, type RunningApp, startApp } from './helpers.js';

let harness: Harness;
let running: RunningApp | undefined;

beforeEach(() => {
  harness = createHarness();
  running = undefined;
});

afterEach(async () => {
  await running?.app.close();
  await harness.telemetry.shutdown();
});

const linesWith = (step: string): LogLine[] => harness.logs.lines.filter((line) => line.step === step);

/** Asserts every line logged at `steps` carries the IDs of the request recorded in `access`. */
function expectCarried(steps: string[], access: LogLine): void {
  for (const step of steps) {
    const lines = linesWith(step);
    expect(lines, step).toHaveLength(1);
    expect(lines[0], step).toMatchObject({
      trace_id: access.trace_id,
      span_id: access.span_id,
      correlation_id: access.correlation_id,
      request_id: access.request_id,
    });
  }
}

test("log lines from a handler carry the request's trace_id and correlation_id after await and setTimeout", async () => {
  const { logger } = harness.telemetry;
  running = await startApp(harness, (app) => {
    app.get('/work', async (request) => {
      logger.info({ step: 'start' }, 'handler started');
      await Promise.resolve();
      logger.info({ step: 'after await' }, 'awaited');
      await sleep(1);
      logger.info({ step: 'after timers/promises' }, 'slept');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          logger.info({ step: 'in setTimeout callback' }, 'timer fired');
          resolve();
        }, 1),
      );
      harness.telemetry.setUser('user-7');
      expectTypeOf(request.correlationId).toEqualTypeOf<string>();
      return { correlationId: request.correlationId, requestId: request.requestId, current: harness.telemetry.currentContext() };
    });
  });
  const response = await fetch(`${running.url}/work`, { headers: { 'x-correlation-id': 'ctx-1' } });
  const body = (await response.json()) as { correlationId: string; requestId: string; current: Record<string, string> };
  const [access] = await harness.logs.accessLines(1);

  expect(access).toMatchObject({ correlation_id: 'ctx-1', user_id: 'user-7' });
  expectCarried(['start', 'after await', 'after timers/promises', 'in setTimeout callback'], access!);
  expect(body).toMatchObject({ correlationId: 'ctx-1', requestId: response.headers.get('x-request-id') });
  expect(body.current).toMatchObject({ trace_id: access!.trace_id, correlation_id: 'ctx-1', request_id: body.requestId });
});

test("later hooks (preParsing, preHandler, onSend, onResponse) run in the request's context, across their own awaits", async () => {
  const { logger } = harness.telemetry;
  const onResponseLogged = deferred();
  running = await startApp(harness, (app) => {
    app.addHook('preParsing', async (_request, _reply, payload) => {
      await sleep(1);
      logger.info({ step: 'preParsing' }, 'hook');
      return payload;
    });
    app.addHook('preHandler', (_request, _reply, done) => {
      setTimeout(() => {
        logger.info({ step: 'preHandler' }, 'hook');
        done();
      }, 1);
    });
    app.addHook('onSend', async (_request, _reply, payload) => {
      await Promise.resolve();
      logger.info({ step: 'onSend' }, 'hook');
      return payload;
    });
    app.addHook('onResponse', async () => {
      await sleep(1);
      logger.info({ step: 'onResponse' }, 'hook');
      onResponseLogged.resolve();
    });
    app.get('/hooked', async () => 'ok');
  });
  const response = await fetch(`${running.url}/hooked`);
  expect(await response.text()).toBe('ok');
  const [access] = await harness.logs.accessLines(1);
  await onResponseLogged.promise;
  expectCarried(['preParsing', 'preHandler', 'onSend', 'onResponse'], access!);
});

test("a request body that arrives after the headers keeps the request's context in the handler", async () => {
  const { logger } = harness.telemetry;
  const headersParsed = deferred();
  running = await startApp(harness, (app) => {
    app.addHook('preParsing', (_request, _reply, payload, done) => {
      headersParsed.resolve();
      done(null, payload);
    });
    app.post('/echo', async (request) => {
      await sleep(1);
      logger.info({ step: 'handler' }, 'body read');
      return request.body;
    });
  });
  const { port } = new URL(running.url);
  const socket = connect(Number(port), '127.0.0.1');
  const reply = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('{"late":true}')) resolve(text);
    });
  });
  socket.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n');
  // The body is sent only once the server is waiting for it, from the socket's own async context.
  await headersParsed.promise;
  socket.write('{"late":true}');
  expect(await reply).toMatch(/^HTTP\/1.1 200 OK/);
  socket.destroy();
  const [access] = await harness.logs.accessLines(1);
  expectCarried(['handler'], access!);
});

test('two interleaved requests each keep their own IDs', async () => {
  const { logger } = harness.telemetry;
  const firstWaiting = deferred();
  const releaseFirst = deferred();
  running = await startApp(harness, (app) => {
    app.get('/first', async () => {
      firstWaiting.resolve();
      await releaseFirst.promise;
      logger.info({ step: 'first' }, 'resumed');
      return 'first';
    });
    app.get('/second', async () => {
      await sleep(1);
      logger.info({ step: 'second' }, 'ran while first waited');
      return 'second';
    });
  });
  const first = fetch(`${running.url}/first`, { headers: { 'x-correlation-id': 'first' } });
  await firstWaiting.promise;
  const second = await fetch(`${running.url}/second`, { headers: { 'x-correlation-id': 'second' } });
  expect(await second.text()).toBe('second');
  releaseFirst.resolve();
  expect(await (await first).text()).toBe('first');

  const lines = await harness.logs.accessLines(2);
  const accessOf = (id: string): LogLine => lines.find((line) => line.correlation_id === id)!;
  expect(accessOf('first').trace_id).not.toBe(accessOf('second').trace_id);
  expectCarried(['first'], accessOf('first'));
  expectCarried(['second'], accessOf('second'));
});
