import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PeriscopeError, type Telemetry } from '@periscope/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { InjectTelemetry, PERISCOPE_TELEMETRY, PeriscopeModule, type PeriscopeModuleOptions } from '../src/index.js';
import { platforms, type RunningApp, startApp } from './support/app.js';
import { Gate, ProbeController } from './support/fixture.js';
import { expectObserved } from './support/observed.js';
import { parseOpenMetrics, select } from './support/openmetrics.js';
import { createTestTelemetry, type TestTelemetry } from './support/telemetry.js';

const TELEMETRY_SOURCE = Symbol('TELEMETRY_SOURCE');

/** Stands in for a ConfigModule: what forRootAsync imports and injects. */
@Module({})
class TelemetrySourceModule {
  static with(telemetry: Telemetry) {
    return { module: TelemetrySourceModule, providers: [{ provide: TELEMETRY_SOURCE, useValue: telemetry }], exports: [TELEMETRY_SOURCE] };
  }
}

@Injectable()
class Greeter {
  constructor(@InjectTelemetry() readonly telemetry: Telemetry) {}
}

@Controller('inject')
class InjectionController {
  // `greeter` is resolved from emitted decorator metadata, the token explicitly.
  constructor(
    @Inject(PERISCOPE_TELEMETRY) private readonly byToken: Telemetry,
    private readonly greeter: Greeter,
  ) {}

  @Get()
  same() {
    this.greeter.telemetry.logger.info('greeted');
    return { sameInstance: this.byToken === this.greeter.telemetry, serviceName: this.byToken.serviceName };
  }
}

describe('PeriscopeModule start-up checks', () => {
  it('forRoot without telemetry throws PeriscopeError PERISCOPE_MISSING_TELEMETRY', () => {
    for (const options of [undefined, {}, { telemetry: {} }, { telemetry: null }]) {
      let thrown: unknown;
      try {
        PeriscopeModule.forRoot(options as unknown as PeriscopeModuleOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PeriscopeError);
      expect((thrown as PeriscopeError).code).toBe('PERISCOPE_MISSING_TELEMETRY');
      expect((thrown as PeriscopeError).message).toContain('PeriscopeModule.forRoot()');
    }
  });

  it('forRoot with a non-function ignore throws PERISCOPE_INVALID_OPTION', () => {
    const { telemetry } = createTestTelemetry();
    expect(() => PeriscopeModule.forRoot({ telemetry, ignore: '/health' as never })).toThrow(
      expect.objectContaining({ code: 'PERISCOPE_INVALID_OPTION' }),
    );
  });

  it('forRootAsync whose factory returns no telemetry fails compile() with PERISCOPE_MISSING_TELEMETRY', async () => {
    const compiling = Test.createTestingModule({
      imports: [PeriscopeModule.forRootAsync({ useFactory: async () => ({}) as PeriscopeModuleOptions })],
    }).compile();
    await expect(compiling).rejects.toMatchObject({ name: 'PeriscopeError', code: 'PERISCOPE_MISSING_TELEMETRY' });
  });
});

describe.each(platforms)('PeriscopeModule wiring on %s', (platform) => {
  let t: TestTelemetry;
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await t?.telemetry.shutdown();
  });

  it('the telemetry is injectable by PERISCOPE_TELEMETRY and @InjectTelemetry into controllers and services', async () => {
    t = createTestTelemetry({ serviceName: 'injection-check' });
    running = await startApp(platform, {
      imports: [PeriscopeModule.forRoot({ telemetry: t.telemetry })],
      controllers: [InjectionController],
      providers: [Greeter],
    });
    expect(running.app.get(PERISCOPE_TELEMETRY)).toBe(t.telemetry);
    expect(running.app.get(Greeter).telemetry).toBe(t.telemetry);
    const response = await fetch(`${running.url}/inject`);
    expect(await response.json()).toEqual({ sameInstance: true, serviceName: 'injection-check' });
    const { span } = await expectObserved(t, { method: 'GET', route: '/inject', path: '/inject', status: 200, response });
    expect(t.logs().find((line) => line.msg === 'greeted')).toMatchObject({ trace_id: span.spanContext().traceId });
  });

  it('forRootAsync resolves its factory with imported, injected providers and observes requests', async () => {
    t = createTestTelemetry();
    const seen: unknown[] = [];
    running = await startApp(platform, {
      imports: [
        PeriscopeModule.forRootAsync({
          imports: [TelemetrySourceModule.with(t.telemetry)],
          inject: [TELEMETRY_SOURCE],
          useFactory: async (telemetry: Telemetry) => {
            seen.push(telemetry);
            return { telemetry };
          },
        }),
      ],
      controllers: [ProbeController],
      providers: [{ provide: Gate, useValue: new Gate() }],
    });
    expect(seen).toEqual([t.telemetry]);
    expect(running.app.get(PERISCOPE_TELEMETRY)).toBe(t.telemetry);
    const response = await fetch(`${running.url}/ok`);
    expect(response.status).toBe(200);
    await response.json();
    await expectObserved(t, { method: 'GET', route: '/ok', path: '/ok', status: 200, response });
  });

  it('a throwing ignore hook is counted as an internal error and the request is answered and observed as usual', async () => {
    t = createTestTelemetry();
    running = await startApp(platform, {
      imports: [
        PeriscopeModule.forRoot({
          telemetry: t.telemetry,
          ignore: () => {
            throw new Error('hook bug');
          },
        }),
      ],
      controllers: [ProbeController],
      providers: [{ provide: Gate, useValue: new Gate() }],
    });
    const response = await fetch(`${running.url}/bad`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ statusCode: 400, message: 'name is required', error: 'Bad Request' });
    const { samples } = await expectObserved(t, { method: 'GET', route: '/bad', path: '/bad', status: 400, response });
    expect(select(samples, 'periscope_internal_errors_total', { where: 'nest.ignore' }).map((s) => s.value)).toEqual([1]);
    const warnings = t.logs().filter((line) => line.component === 'periscope' && line.where === 'nest.ignore');
    expect(warnings).toHaveLength(1);
  });

  it('requests the ignore hook picks get no headers, span, metrics or access log; others still do', async () => {
    t = createTestTelemetry();
    running = await startApp(platform, {
      imports: [PeriscopeModule.forRoot({ telemetry: t.telemetry, ignore: (req) => req.url === '/ok' })],
      controllers: [ProbeController],
      providers: [{ provide: Gate, useValue: new Gate() }],
    });
    const ignored = await fetch(`${running.url}/ok`);
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('x-correlation-id')).toBeNull();
    expect(((await ignored.json()) as { context: object }).context).toEqual({});
    const observed = await fetch(`${running.url}/stream`);
    await observed.text();
    await expectObserved(t, { method: 'GET', route: '/stream', path: '/stream', status: 200, response: observed });
    const samples = parseOpenMetrics(await t.telemetry.metrics('openmetrics'));
    expect(select(samples, 'http_server_request_duration_seconds_count', { http_route: '/ok' })).toEqual([]);
  });
});
