import 'reflect-metadata';
import type { Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { BadRequestException, Controller, Get, Inject, Module, Param, Res, StreamableFile } from '@nestjs/common';
import { type AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { PERISCOPE_TELEMETRY, PeriscopeModule } from '@periscope/nest';
import type { Telemetry } from '@periscope/sdk';
import {
  AsyncBoomError,
  BoomError,
  closed,
  laterTick,
  SLOW_WAITING,
  STREAM_CHUNKS,
  trackCheckout,
  USER_LOADED,
  type Variant,
} from './contract.js';

// Explicit @Inject tokens: the controllers do not depend on emitted decorator metadata.

@Controller()
class ConformanceController {
  constructor(@Inject(PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry) {}

  @Get('users/:id')
  async user(@Param('id') id: string) {
    await laterTick();
    this.telemetry.logger.info(USER_LOADED);
    return { id };
  }

  @Get('boom')
  boom(): never {
    throw new BoomError('sync failure');
  }

  @Get('async-boom')
  async asyncBoom(): Promise<never> {
    await laterTick();
    throw new AsyncBoomError('async failure');
  }

  @Get('checkout')
  async checkout() {
    await trackCheckout(this.telemetry);
    return { ok: true };
  }

  @Get('bad')
  bad(): never {
    throw new BadRequestException('bad request');
  }

  @Get('bad-thrown')
  badThrown(): never {
    throw new BadRequestException('bad input');
  }

  // @Res() without passthrough: Nest leaves the response to the handler, which never answers.
  @Get('slow')
  async slow(@Res() res: ServerResponse | { raw: ServerResponse }) {
    this.telemetry.logger.info(SLOW_WAITING);
    await closed('raw' in res ? res.raw : res);
  }

  @Get('stream')
  stream() {
    return new StreamableFile(Readable.from(chunks()), { type: 'text/plain' });
  }
}

@Controller('api/items')
class ItemsController {
  @Get(':id')
  item(@Param('id') id: string) {
    return { id };
  }
}

async function* chunks(): AsyncGenerator<Buffer> {
  for (const chunk of STREAM_CHUNKS) {
    yield Buffer.from(chunk);
    await laterTick();
  }
}

@Module({})
class ConformanceModule {}

function nestVariant(name: string, adapter: () => AbstractHttpAdapter): Variant {
  return {
    name,
    async start(telemetry) {
      const app = await NestFactory.create(
        {
          module: ConformanceModule,
          imports: [PeriscopeModule.forRoot({ telemetry })],
          controllers: [ConformanceController, ItemsController],
        },
        adapter(),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      const server = app.getHttpServer() as Server;
      const { port } = server.address() as { port: number };
      return {
        url: `http://127.0.0.1:${port}`,
        close: async () => {
          // A socket left half-open by an aborted client would hold app.close().
          server.closeAllConnections();
          await app.close();
        },
      };
    },
  };
}

export const nestExpressVariant = nestVariant('Nest on Express', () => new ExpressAdapter());
export const nestFastifyVariant = nestVariant('Nest on Fastify', () => new FastifyAdapter());
