import 'reflect-metadata';
import { type ArgumentsHost, type CanActivate, Catch, Controller, type ExceptionFilter, Get, Injectable, UseGuards } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { periscopeApps, platforms } from './support/app.js';
import { BoomError } from './support/fixture.js';
import { expectObserved } from './support/observed.js';

/** The app's own filter: answers BoomError with its own status and body. */
@Catch(BoomError)
class BoomFilter implements ExceptionFilter {
  catch(exception: BoomError, host: ArgumentsHost): void {
    const body = { handled: 'by the app', message: exception.message };
    // Express and Fastify answer differently; the filter is the app's, written for both.
    const res = host.switchToHttp().getResponse<{
      status?: (code: number) => { json: (body: unknown) => void };
      code?: (code: number) => { send: (body: unknown) => void };
    }>();
    if (typeof res.code === 'function') res.code(503).send(body);
    else res.status?.(503).json(body);
  }
}

class GuardFailure extends Error {}

@Injectable()
class FailingGuard implements CanActivate {
  canActivate(): boolean {
    throw new GuardFailure('guard broke');
  }
}

@Controller()
class FilteredController {
  @Get('filtered')
  filtered(): never {
    throw new BoomError('answered by a filter');
  }

  @Get('guarded')
  @UseGuards(FailingGuard)
  guarded(): string {
    return 'never';
  }
}

describe.each(platforms)('exceptions on their way to filters, on %s', (platform) => {
  const app = periscopeApps(platform, () => ({
    controllers: [FilteredController],
    providers: [{ provide: APP_FILTER, useClass: BoomFilter }, FailingGuard],
  }));
  const start = (): Promise<string> => app.start();

  it("the app's own filter still answers, and the exception it answered is recorded with its class", async () => {
    const url = await start();
    const response = await fetch(`${url}/filtered`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ handled: 'by the app', message: 'answered by a filter' });
    const { span } = await expectObserved(app.t, {
      method: 'GET',
      route: '/filtered',
      path: '/filtered',
      status: 503,
      errorType: 'BoomError',
      response,
    });
    expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual(['answered by a filter']);
  });

  it("a guard's failure keeps Nest's 500 and is recorded with its class (before any interceptor would run)", async () => {
    const url = await start();
    const response = await fetch(`${url}/guarded`);
    expect(response.status).toBe(500);
    await expectObserved(app.t, { method: 'GET', route: '/guarded', path: '/guarded', status: 500, errorType: 'GuardFailure', response });
  });
});
