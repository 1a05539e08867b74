import 'reflect-metadata';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

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
