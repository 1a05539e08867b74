import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Headers, Inject, Module, Param, Post, Query } from '@nestjs/common';
import { type AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { periscope as expressPeriscope, periscopeErrors } from '@periscope/express';
import { periscope as fastifyPeriscope } from '@periscope/fastify';
import { PERISCOPE_TELEMETRY, PeriscopeModule } from '@periscope/nest';
import type { Telemetry } from '@periscope/sdk';
import express from 'express';
import Fastify from 'fastify';
import { login, work } from './app-logic.js';

/** One framework serving the routes of `app-logic.ts`, on 127.0.0.1 with a port chosen at run time. */
export interface App {
  readonly name: string;
  start(telemetry: Telemetry, options?: AppOptions): Promise<RunningApp>;
}

export interface AppOptions {
  /** Nest only: the module's `ignore` hook. */
  ignore?: (request: IncomingMessage) => boolean;
}

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

export const expressApp: App = {
  name: 'Express',
  async start(telemetry) {
    const app = express();
    app.use(expressPeriscope(telemetry));
    app.use(express.json());
    app.get('/work/:marker', async (req, res) => {
      res.json(await work(telemetry, req.params.marker, req.query as Record<string, unknown>));
    });
    app.post('/login', async (req, res) => {
      res.json(await login(telemetry, req.body, req.headers, req.query));
    });
    app.use(periscopeErrors(telemetry));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return running(server);
  },
};

export const fastifyApp: App = {
  name: 'Fastify',
  async start(telemetry) {
    const app = Fastify({ logger: false });
    await app.register(fastifyPeriscope, { telemetry });
    app.get<{ Params: { marker: string } }>('/work/:marker', (request) =>
      work(telemetry, request.params.marker, request.query as Record<string, unknown>),
    );
    app.post('/login', (request) => login(telemetry, request.body, request.headers, request.query));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  },
};

// Explicit @Inject tokens: the controller does not depend on emitted decorator metadata.
@Controller()
class ReliabilityController {
  constructor(@Inject(PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry) {}

  @Get('work/:marker')
  work(@Param('marker') marker: string, @Query() query: Record<string, unknown>) {
    return work(this.telemetry, marker, query);
  }

  @Post('login')
  login(@Body() body: unknown, @Headers() headers: unknown, @Query() query: unknown) {
    return login(this.telemetry, body, headers, query);
  }
}

@Module({})
class ReliabilityModule {}

function nestApp(name: string, adapter: () => AbstractHttpAdapter): App {
  return {
    name,
    async start(telemetry, options = {}) {
      const app = await NestFactory.create(
        {
          module: ReliabilityModule,
          imports: [PeriscopeModule.forRoot({ telemetry, ...options })],
          controllers: [ReliabilityController],
        },
        adapter(),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      const server = app.getHttpServer() as Server;
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: async () => {
          server.closeAllConnections();
          await app.close();
        },
      };
    },
  };
}

export const nestExpressApp = nestApp('Nest on Express', () => new ExpressAdapter());
export const nestFastifyApp = nestApp('Nest on Fastify', () => new FastifyAdapter());

/** The four frameworks, each through its own Periscope plugin. */
export const apps: App[] = [expressApp, fastifyApp, nestExpressApp, nestFastifyApp];

function running(server: Server): RunningApp {
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
