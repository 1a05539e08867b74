import { describe, expect, it } from 'vitest';
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
