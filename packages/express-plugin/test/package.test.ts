import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTelemetry } from '@periscope/sdk';
import express from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogCollector } from './support/log-collector.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

type PluginModule = typeof import('../src/index.js');

/**
 * Checks the published shape: this test builds the package itself in
 * beforeAll (`pnpm --filter @periscope/express build`, i.e. tsup) rather than
 * assuming `pnpm -r build` ran, then loads `@periscope/express` by name, as a
 * user would, through the package's `exports` (self-reference), both ways.
 */
describe('the built package', () => {
  beforeAll(() => {
    execFileSync('pnpm', ['--filter', '@periscope/express', 'build'], { cwd: packageDir, stdio: 'pipe' });
  }, 60_000);

  const loaders: [string, () => Promise<PluginModule>][] = [
    ['ESM import()', () => import('@periscope/express' as string) as Promise<PluginModule>],
    ['CJS require()', async () => createRequire(import.meta.url)('@periscope/express') as PluginModule],
  ];

  it.each(loaders)('%s resolves to dist and exports exactly periscope and periscopeErrors', async (_how, load) => {
    const mod = await load();
    expect(
      Object.keys(mod)
        .filter((k) => k !== 'default' && k !== '__esModule')
        .sort(),
    ).toEqual(['periscope', 'periscopeErrors']);
    expect(typeof mod.periscope).toBe('function');
  });

  it('the resolved files are the built ones: dist/index.js for import, dist/index.cjs for require', () => {
    expect(import.meta.resolve('@periscope/express')).toBe(new URL('../dist/index.js', import.meta.url).href);
    expect(createRequire(import.meta.url).resolve('@periscope/express')).toBe(`${packageDir}dist/index.cjs`);
  });

  it.each(loaders)('%s: the built middleware observes a real request and rejects a missing telemetry', async (_how, load) => {
    const { periscope } = await load();
    expect(() => periscope(undefined as never)).toThrow(expect.objectContaining({ code: 'PERISCOPE_MISSING_TELEMETRY' }));

    const logs = new LogCollector();
    const telemetry = createTelemetry({
      serviceName: 'dist-test',
      env: {},
      metrics: { server: false },
      traces: { exporter: 'none' },
      logs: { destination: logs },
    });
    const app = express();
    app.use(periscope(telemetry));
    app.get('/users/:id', (_req, res) => void res.send('built'));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/users/1`);
      expect(await res.text()).toBe('built');
      const line = await logs.waitFor((l) => l.route === '/users/:id');
      expect(line).toMatchObject({ status_code: 200, request_id: res.headers.get('x-request-id') });
      expect(await telemetry.metrics('openmetrics')).toMatch(
        /http_server_request_duration_seconds_count\{[^}]*http_route="\/users\/:id"[^}]*\} 1/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await telemetry.shutdown();
    }
  });
});
