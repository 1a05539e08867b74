import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Logger,
  Param,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  StreamableFile,
} from '@nestjs/common';
import type { Telemetry } from '@periscope/sdk';
import { InjectTelemetry, PERISCOPE_TELEMETRY } from '../../src/index.js';
import { type Deferred, deferred } from './deferred.js';

/** Thrown by handlers so `error_type` has a name the test can expect. */
export class BoomError extends Error {}
export class AsyncBoomError extends Error {}

/** Moments of the `/hang` handler, shared with the test. */
export class Gate {
  entered: Deferred = deferred();
  closed: Deferred = deferred();
}

/** Relies on emitted decorator metadata for `UsersService`: proves DI works under vitest's transform. */
@Injectable()
export class UsersService {
  readonly #log = new Logger('UsersService');

  constructor(@InjectTelemetry() private readonly telemetry: Telemetry) {}

  async find(id: string): Promise<{ id: string; context: Record<string, unknown> }> {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.telemetry.logger.info({ user: id }, 'user loaded');
    this.#log.log(`found ${id}`);
    return { id, context: { ...this.telemetry.currentContext() } };
  }
}

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  find(@Param('id') id: string) {
    return this.users.find(id);
  }

  @Post()
  async create(@Body() body: { name: string }) {
    const found = await this.users.find(body.name);
    return { created: body.name, context: found.context };
  }
}

type RawOrWrapped = IncomingMessage | { raw: IncomingMessage };
type RawResOrReply = ServerResponse | { raw: ServerResponse };

@Controller()
export class ProbeController {
  constructor(
    @Inject(PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry,
    @Inject(Gate) private readonly gate: Gate,
  ) {}

  @Get('ok')
  ok() {
    return { ok: true, context: this.telemetry.currentContext() };
  }

  @Get('boom')
  boom(): never {
    throw new BoomError('sync failure');
  }

  @Get('boom-async')
  async boomAsync(): Promise<never> {
    await new Promise((resolve) => setImmediate(resolve));
    throw new AsyncBoomError('async failure');
  }

  @Get('bad')
  bad(): never {
    throw new BadRequestException('name is required');
  }

  @Get('unavailable')
  unavailable(): never {
    throw new ServiceUnavailableException('maintenance');
  }

  @Get('stream')
  stream() {
    return new StreamableFile(Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]), { type: 'text/plain' });
  }

  /** Whether the raw request and response carry the marker the SDK's `toSharedShape` leaves. */
  @Get('shape')
  shape(@Req() req: RawOrWrapped, @Res({ passthrough: true }) res: RawResOrReply) {
    const marked = (target: object) => Object.getOwnPropertySymbols(target).some((key) => key.description === 'periscope.shape.shared');
    return { req: marked('raw' in req ? req.raw : req), res: marked('raw' in res ? res.raw : res) };
  }

  @Get('hang')
  async hang(@Req() req: RawOrWrapped, @Res({ passthrough: true }) res: RawResOrReply) {
    const raw = 'raw' in res ? res.raw : res;
    const closed = new Promise((resolve) => raw.once('close', resolve));
    this.gate.entered.resolve();
    await closed;
    this.gate.closed.resolve();
    return { late: 'raw' in req ? 'fastify' : 'express' };
  }
}
