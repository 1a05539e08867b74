import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, observeRequestListener, PeriscopeError, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { LogLines } from './support/log-lines.js';

let telemetry: Telemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

async function listener(auth: NonNullable<Exclude<NonNullable<TelemetryOptions['metrics']>['server'], false>>['auth']): Promise<string> {
  telemetry = createTelemetry({
    serviceName: 'endpoint',
    env: {},
    logs: { destination: new LogLines() },
    metrics: { server: { host: '127.0.0.1', port: 0, auth } },
    traces: { exporter: 'none' },
  });
  return (await telemetry.metricsUrl) as string;
}

describe('the /metrics listener', () => {
  it('with a bearer token: 401 without it or with a wrong one, 200 with it', async () => {
    const url = await listener({ bearerToken: 'scrape-token-0123456789' });
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(url, { headers: { authorization: 'Bearer scrape-token-0123456780' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('periscope_build_info');
  });

  it('with basic auth: 401 without it, 200 with it', async () => {
    const url = await listener({ username: 'prometheus', password: 'correct horse' });
    expect((await fetch(url)).status).toBe(401);
    const credentials = Buffer.from('prometheus:correct horse').toString('base64');
    expect((await fetch(url, { headers: { authorization: `Basic ${credentials}` } })).status).toBe(200);
  });

  it('refuses weak credentials at start-up, naming the option', () => {
    expect(() =>
      createTelemetry({
        serviceName: 'x',
        env: {},
        metrics: { server: { port: 0, auth: { bearerToken: 'short' } } },
        traces: { exporter: 'none' },
      }),
    ).toThrowError(PeriscopeError);
    expect(() =>
      createTelemetry({
        serviceName: 'x',
        env: {},
        metrics: { server: { port: 0, auth: { bearerToken: 'short' } } },
        traces: { exporter: 'none' },
      }),
    ).toThrowError(/metrics.server.auth/);
  });

  it('binds the configured host only, and the app port does not serve /metrics unless mounted', async () => {
    const url = await listener(undefined);
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const app = createServer(observeRequestListener((telemetry as Telemetry).http, (_req, res) => res.writeHead(404).end('app 404')));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('app 404');
    await new Promise((resolve) => app.close(resolve));
  });
});
