import { EventEmitter, once } from 'node:events';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, type LogCorrelationFields, type Telemetry } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';

let telemetry: Telemetry;
let server: TestServer;

afterEach(async () => {
  await server?.close();
  await telemetry?.shutdown();
});

function setup(handler: (seen: (label: string) => void) => Promise<void> | void) {
  const logs = new LogLines();
  telemetry = createTelemetry({
    serviceName: 'ctx',
    logs: { destination: logs },
    metrics: { server: false },
    traces: { exporter: 'none' },
  });
  const seen: Array<{ label: string; fields: LogCorrelationFields }> = [];
  return startServer(telemetry, async (_req, res) => {
    await handler((label) => seen.push({ label, fields: telemetry.currentContext() }));
    res.end('ok');
  }).then((s) => {
    server = s;
    return { seen, logs };
  });
}

describe('request context', () => {
  it('context survives await, setTimeout, setImmediate, promise chains and event emitters', async () => {
    const { seen } = await setup(async (mark) => {
      mark('sync');
      await sleep(5);
      mark('after await');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          mark('in setTimeout');
          resolve();
        }, 1),
      );
      await immediate();
      mark('after setImmediate');
      await Promise.resolve()
        .then(() => sleep(1))
        .then(() => mark('in promise chain'));
      const emitter = new EventEmitter();
      const heard = once(emitter, 'ping');
      setTimeout(() => emitter.emit('ping'), 1);
      await heard;
      mark('after event');
      await new Promise<void>((resolve) => {
        emitter.on('pong', () => {
          mark('in listener');
          resolve();
        });
        setImmediate(() => emitter.emit('pong'));
      });
    });
    const response = await fetch(`${server.url}/ctx`, { headers: { 'x-correlation-id': 'corr-1' } });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(seen.map((s) => s.label)).toEqual([
      'sync',
      'after await',
      'in setTimeout',
      'after setImmediate',
      'in promise chain',
      'after event',
      'in listener',
    ]);
    const traceId = seen[0]?.fields.trace_id;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const { fields } of seen) {
      expect(fields).toMatchObject({ correlation_id: 'corr-1', request_id: requestId, trace_id: traceId });
    }
  });

  it('two concurrent requests never see each other IDs', async () => {
    const { seen } = await setup(async (mark) => {
      for (let i = 0; i < 5; i++) {
        mark('step');
        await sleep(Math.random() * 5);
      }
    });
    const ids = Array.from({ length: 20 }, (_, i) => `req-${i}`);
    const responses = await Promise.all(ids.map((id) => fetch(server.url, { headers: { 'x-correlation-id': id } })));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    // Every correlation ID appears exactly 5 times, each time with one single trace ID.
    const byCorrelation = new Map<string, Set<string>>();
    for (const { fields } of seen) {
      const set = byCorrelation.get(fields.correlation_id as string) ?? new Set();
      set.add(fields.trace_id as string);
      byCorrelation.set(fields.correlation_id as string, set);
    }
    expect([...byCorrelation.keys()].sort()).toEqual([...ids].sort());
    expect(seen).toHaveLength(100);
    for (const traces of byCorrelation.values()) expect(traces.size).toBe(1);
    const allTraces = new Set([...byCorrelation.values()].flatMap((s) => [...s]));
    expect(allTraces.size).toBe(20);
  });

  it('outside a request there is no request context and setUser is a no-op', () => {
    telemetry = createTelemetry({
      serviceName: 'ctx',
      logs: { destination: new LogLines() },
      metrics: { server: false },
      traces: { exporter: 'none' },
    });
    expect(telemetry.currentContext()).toEqual({});
    expect(() => telemetry.setUser('u1')).not.toThrow();
    expect(telemetry.currentContext()).toEqual({});
  });

  it('setUser adds user_id to the rest of the request only', async () => {
    const { logs } = await setup(async () => {
      telemetry.logger.info('before user');
      await sleep(1);
      telemetry.setUser('user-42');
      await sleep(1);
      telemetry.logger.info('after user');
    });
    await fetch(server.url);
    await fetch(server.url);
    const before = logs.withMessage('before user');
    const after = logs.withMessage('after user');
    expect(before).toHaveLength(2);
    expect(before.every((l) => l.user_id === undefined)).toBe(true);
    expect(after.every((l) => l.user_id === 'user-42')).toBe(true);
    // The access log line is written after setUser, so it carries the user too.
    expect(logs.withMessage('request completed').every((l) => l.user_id === 'user-42')).toBe(true);
  });
});
