import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Controller, Get, Inject, Injectable, Param } from '@nestjs/common';
import type { Telemetry } from '@periscope/sdk';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { platforms, type RunningApp, startApp } from './support/app.js';
import { expectObserved } from './support/observed.js';
import { createTestTelemetry, type TestTelemetry } from './support/telemetry.js';

type Built = typeof import('../src/index.js');

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const loaded: Partial<Record<'esm' | 'cjs', Built>> = {};

beforeAll(() => {
  // The package as published: built here, so the test never runs against a stale dist.
  execFileSync('npx', ['tsup', '--silent'], { cwd: packageDir, stdio: 'pipe' });
}, 120_000);

async function load(format: 'esm' | 'cjs'): Promise<Built> {
  loaded[format] ??=
    format === 'esm'
      ? ((await import(pathToFileURL(join(packageDir, 'dist/index.js')).href)) as Built)
      : (createRequire(import.meta.url)(join(packageDir, 'dist/index.cjs')) as Built);
  return loaded[format]!;
}

/** Controller and service wired only with the built package's own token and decorator. */
function fixtureFor(built: Built) {
  @Injectable()
  class Lookup {
    constructor(@built.InjectTelemetry() readonly telemetry: Telemetry) {}
  }
  @Controller('users')
  class BuiltUsersController {
    constructor(
      @Inject(built.PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry,
      @Inject(Lookup) private readonly lookup: Lookup,
    ) {}

    @Get(':id')
    async find(@Param('id') id: string) {
      await new Promise((resolve) => setImmediate(resolve));
      this.telemetry.logger.info('built lookup');
      return { id, same: this.telemetry === this.lookup.telemetry };
    }
  }
  return { controllers: [BuiltUsersController], providers: [Lookup] };
}

it('the built files keep the decorator metadata Nest reads (emitted by SWC)', () => {
  for (const file of ['dist/index.js', 'dist/index.cjs']) {
    const code = readFileSync(join(packageDir, file), 'utf8');
    expect(code).toContain('design:paramtypes');
  }
});

describe.each(platforms.flatMap((platform) => (['esm', 'cjs'] as const).map((format) => [format, platform] as const)))(
  'the built package (%s) on %s',
  (format, platform) => {
    let t: TestTelemetry;
    let running: RunningApp | undefined;

    afterEach(async () => {
      await running?.close();
      running = undefined;
      await t?.telemetry.shutdown();
    });

    it('observes a request under its route template and injects the telemetry by token and decorator', async () => {
      const built = await load(format);
      t = createTestTelemetry();
      running = await startApp(platform, { imports: [built.PeriscopeModule.forRoot({ telemetry: t.telemetry })], ...fixtureFor(built) });
      const response = await fetch(`${running.url}/users/3`);
      expect(await response.json()).toEqual({ id: '3', same: true });
      const { span } = await expectObserved(t, { method: 'GET', route: '/users/:id', path: '/users/3', status: 200, response });
      expect(t.logs().find((line) => line.msg === 'built lookup')).toMatchObject({ trace_id: span.spanContext().traceId });
    });

    it('forRoot without telemetry throws PERISCOPE_MISSING_TELEMETRY', async () => {
      const built = await load(format);
      expect(() => built.PeriscopeModule.forRoot({} as never)).toThrow(expect.objectContaining({ code: 'PERISCOPE_MISSING_TELEMETRY' }));
    });
  },
);
