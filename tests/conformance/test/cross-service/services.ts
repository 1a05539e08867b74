import 'reflect-metadata';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { periscope, periscopeErrors } from '@periscope/express';
import { periscope as periscopeFastify } from '@periscope/fastify';
import { PERISCOPE_TELEMETRY, PeriscopeModule } from '@periscope/nest';
import { createTelemetry, type Telemetry } from '@periscope/sdk';
import express from 'express';
import Fastify from 'fastify';
import { LogLines } from '../support/log-lines.js';

/** One service of the chain: its own telemetry, spans and log lines, on its own port. */
export interface Service {
  readonly name: string;
  readonly url: string;
  readonly telemetry: Telemetry;
  readonly exporter: InMemorySpanExporter;
  readonly logs: LogLines;
  close(): Promise<void>;
}

function telemetryFor(name: string): Pick<Service, 'telemetry' | 'exporter' | 'logs'> {
  const exporter = new InMemorySpanExporter();
  const logs = new LogLines();
  const telemetry = createTelemetry({
    serviceName: name,
    env: {},
    metrics: { server: false, runtime: false },
    logs: { destination: logs },
    traces: { exporter, scheduledDelayMillis: 5 },
  });
  return { telemetry, exporter, logs };
}

async function serve(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Service A, Express: `GET /a` calls B's `/b` with `fetch`. */
export async function startA(next: string): Promise<Service> {
  const t = telemetryFor('a');
  const app = express();
  app.use(periscope(t.telemetry));
  app.get('/a', async (_req, res) => {
    t.telemetry.logger.info('a calling b');
    const answer = await fetch(`${next}/b`);
    res.json({ a: true, b: await answer.json() });
  });
  app.use(periscopeErrors(t.telemetry));
  return { name: 'a', ...t, ...(await serve(createServer(app))) };
}

/** Service B, Fastify: `GET /b` calls C's `/c` with `node:http`. */
export async function startB(next: string): Promise<Service> {
  const t = telemetryFor('b');
  const app = Fastify({ logger: false });
  await app.register(periscopeFastify, { telemetry: t.telemetry });
  app.get('/b', async () => {
    t.telemetry.logger.info('b calling c');
    return { b: true, c: await getJson(`${next}/c`) };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const close = async () => {
    app.server.closeAllConnections();
    await app.close();
  };
  return { name: 'b', ...t, url, close };
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(JSON.parse(body)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

@Controller()
class LeafController {
  constructor(@Inject(PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry) {}

  @Get('c')
  answer() {
    this.telemetry.logger.info('c answering');
    return { c: true };
  }
}

@Module({})
class LeafModule {}

/** Service C, Nest on Express: `GET /c` answers. */
export async function startC(): Promise<Service> {
  const t = telemetryFor('c');
  const app = await NestFactory.create(
    { module: LeafModule, imports: [PeriscopeModule.forRoot({ telemetry: t.telemetry })], controllers: [LeafController] },
    new ExpressAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const close = async () => {
    server.closeAllConnections();
    await app.close();
  };
  return { name: 'c', ...t, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}
