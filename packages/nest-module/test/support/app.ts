import 'reflect-metadata';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterEach } from 'vitest';
import { PeriscopeModule } from '../../src/index.js';
import { createTestTelemetry, type TestTelemetry } from './telemetry.js';

/** The two platforms every behaviour is checked on. */
export const platforms = ['express', 'fastify'] as const;
export type Platform = (typeof platforms)[number];

export interface RunningApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export interface AppOptions extends Pick<ModuleMetadata, 'controllers' | 'providers'> {
  imports: Array<Type | DynamicModule>;
  globalPrefix?: string;
  /** Called after creation and before listen, e.g. to install a logger. */
  setup?: (app: INestApplication) => void;
}

/** Compiles a testing module, creates the app on `platform` and listens on a free port of 127.0.0.1. */
export async function startApp(platform: Platform, options: AppOptions): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({
    imports: options.imports,
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  }).compile();
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = moduleRef.createNestApplication(adapter, { logger: false });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  options.setup?.(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const close = async (): Promise<void> => {
    // A socket half-closed by an aborted client would hold server.close() for seconds.
    (app.getHttpServer() as Server).closeAllConnections();
    await app.close();
  };
  return { app, url: `http://127.0.0.1:${address.port}`, close };
}

/** A test's app with PeriscopeModule over a fresh test telemetry; see {@link periscopeApps}. */
export interface PeriscopeApps {
  /** The telemetry of the app `start()` built last. */
  readonly t: TestTelemetry;
  /** The Nest application `start()` built last. */
  readonly nest: INestApplication;
  /** Builds a telemetry and the app (`options()` merged with `extra`), listens, and returns its URL. */
  start(extra?: Partial<Omit<AppOptions, 'imports'>>): Promise<string>;
}

/**
 * One app per test on `platform`, with `PeriscopeModule.forRoot()` over a fresh
 * test telemetry; both are closed after each test. `options` is called at
 * every start, so it can make per-test fixtures.
 */
export function periscopeApps(platform: Platform, options: () => Omit<AppOptions, 'imports'>): PeriscopeApps {
  let telemetry: TestTelemetry | undefined;
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await telemetry?.telemetry.shutdown();
  });
  return {
    get t(): TestTelemetry {
      if (!telemetry) throw new Error('start() the app first');
      return telemetry;
    },
    get nest(): INestApplication {
      if (!running) throw new Error('start() the app first');
      return running.app;
    },
    async start(extra = {}) {
      telemetry = createTestTelemetry();
      running = await startApp(platform, {
        ...options(),
        ...extra,
        imports: [PeriscopeModule.forRoot({ telemetry: telemetry.telemetry })],
      });
      return running.url;
    },
  };
}
