import 'reflect-metadata';
import { createRequire } from 'node:module';
import { realistic } from './payload.mjs';

const require = createRequire(import.meta.url);

/**
 * A NestJS 11 app on the Express or the Fastify platform. Plain JavaScript has
 * no decorator syntax, so the decorators are applied with `Reflect.decorate`,
 * which is what TypeScript compiles them to.
 */
export async function buildNest({ cell, telemetry }) {
  const { Controller, Get, Module, Param } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');

  class UsersController {
    find(id) {
      return { id };
    }
    realistic(id) {
      return realistic(id);
    }
  }
  decorateMethod(UsersController, 'find', [Get('users/:id')], Param('id'));
  decorateMethod(UsersController, 'realistic', [Get('realistic/:id')], Param('id'));
  Reflect.decorate([Controller()], UsersController);

  class AppModule {}
  const imports = [];
  if (telemetry) {
    const { PeriscopeModule } = await import('@periscope/nest');
    imports.push(PeriscopeModule.forRoot({ telemetry }));
  }
  Reflect.decorate([Module({ imports, controllers: [UsersController] })], AppModule);

  let app;
  if (cell.framework === 'nest-fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  } else {
    app = await NestFactory.create(AppModule, { logger: false });
  }
  await app.listen(0, '127.0.0.1');
  return { port: app.getHttpServer().address().port, close: () => app.close() };
}

function decorateMethod(target, key, decorators, paramDecorator) {
  const proto = target.prototype;
  paramDecorator(proto, key, 0);
  const descriptor = Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key));
  Object.defineProperty(proto, key, descriptor);
}
