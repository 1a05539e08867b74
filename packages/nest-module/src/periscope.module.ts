import { type DynamicModule, Global, Inject, Module, type NestModule, type OnModuleInit, type Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PeriscopeBoundaries } from './boundaries.js';
import { type HttpAdapterLike, PeriscopeHttpHook } from './http-hook.js';
import { PeriscopeLogger } from './logger.service.js';
import { type PeriscopeModuleAsyncOptions, type PeriscopeModuleOptions, validateOptions } from './options.js';
import { PERISCOPE_MODULE_OPTIONS, PERISCOPE_TELEMETRY } from './tokens.js';

const sharedProviders: Provider[] = [
  {
    provide: PERISCOPE_TELEMETRY,
    useFactory: (options: PeriscopeModuleOptions) => options.telemetry,
    inject: [PERISCOPE_MODULE_OPTIONS],
  },
  PeriscopeHttpHook,
  PeriscopeLogger,
  PeriscopeBoundaries,
];

const exported = [PERISCOPE_TELEMETRY, PeriscopeLogger];

/**
 * Periscope for NestJS 11 on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`. Global: import it once, in the root module.
 *
 * Every request gets a server span named by its route template
 * (`GET /api/users/:id`, or `unmatched`), the RED metrics, an access log line
 * and the `x-correlation-id` / `x-request-id` response headers; errors raised
 * by routes are recorded on their way to Nest's exception filters, which answer as before. Provides
 * the telemetry under {@link PERISCOPE_TELEMETRY} and {@link PeriscopeLogger}.
 *
 * @example
 * const telemetry = createTelemetry({ serviceName: 'orders' });
 * \@Module({ imports: [PeriscopeModule.forRoot({ telemetry })] })
 * export class AppModule {}
 */
@Global()
@Module({})
export class PeriscopeModule implements NestModule, OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(PeriscopeHttpHook) private readonly hook: PeriscopeHttpHook,
    @Inject(PeriscopeBoundaries) private readonly boundaries: PeriscopeBoundaries,
  ) {}

  /**
   * Registers the module with a ready telemetry.
   * @throws PeriscopeError `PERISCOPE_MISSING_TELEMETRY` when `telemetry` is missing.
   */
  static forRoot(options: PeriscopeModuleOptions): DynamicModule {
    const valid = validateOptions(options, 'PeriscopeModule.forRoot()');
    return {
      module: PeriscopeModule,
      global: true,
      providers: [{ provide: PERISCOPE_MODULE_OPTIONS, useValue: valid }, ...sharedProviders],
      exports: exported,
    };
  }

  /**
   * Registers the module with options from a factory, e.g. one that reads a
   * `ConfigService`. A factory result without `telemetry` fails the
   * application's start-up with `PERISCOPE_MISSING_TELEMETRY`.
   */
  static forRootAsync(options: PeriscopeModuleAsyncOptions): DynamicModule {
    const factory = options.useFactory as (...args: unknown[]) => PeriscopeModuleOptions | Promise<PeriscopeModuleOptions>;
    return {
      module: PeriscopeModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: PERISCOPE_MODULE_OPTIONS,
          useFactory: async (...args: unknown[]) => validateOptions(await factory(...args), 'PeriscopeModule.forRootAsync() factory'),
          inject: options.inject ?? [],
        },
        ...sharedProviders,
      ],
      exports: exported,
    };
  }

  /**
   * Runs in `app.init()` after the body parsers and before Nest middleware
   * and routes are registered: the moment to hook the platform.
   */
  configure(): void {
    this.hook.attach(this.adapterHost.httpAdapter as HttpAdapterLike | undefined);
    // Before Nest binds routes to the controllers' methods, so the routes call the wrappers.
    this.boundaries.install();
  }

  /** Application contexts without HTTP never call `configure()`: boundaries are installed here then. */
  onModuleInit(): void {
    this.boundaries.install();
  }
}
