import 'reflect-metadata';
import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { createTelemetry } from '@periscope/sdk';

const require = createRequire(import.meta.url);

/**
 * Microbenchmark cases of module boundaries (issue 10): `boundary.run()`
 * sync and async, against the plain call, and the NestJS automatic mode's
 * wrapper on a real Nest application context (a provider of one module
 * called from another module, and the same-module pass-through).
 *
 * Each case is `[name, calls, setup, { async }]`: `setup()` runs once in the
 * case's own process and returns the function to time.
 */
const sink = { write() {} };

function makeTelemetry(options = {}) {
  return createTelemetry({
    serviceName: 'micro-boundary',
    env: {},
    logs: { destination: sink },
    metrics: { server: false, runtime: false },
    traces: { exporter: 'none' },
    outbound: false,
    ...options,
  });
}

function syncWork(x) {
  return x + 1;
}
async function asyncWork(x) {
  return x + 1;
}

/** Two Nest modules, `orders` calling `billing`, with `boundaries: { auto: true }`; returns the two callables. */
async function nestPair() {
  const { Inject, Injectable, Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { PeriscopeModule } = await import('@periscope/nest');
  const telemetry = makeTelemetry();

  class BillingService {
    charge(x) {
      return x + 1;
    }
  }
  Reflect.decorate([Injectable()], BillingService);
  class BillingModule {}
  Reflect.decorate([Module({ providers: [BillingService], exports: [BillingService] })], BillingModule);

  class OrdersService {
    constructor(billing) {
      this.billing = billing;
    }
    /** Crosses into billing: recorded. */
    place(x) {
      return this.billing.charge(x);
    }
    /** Stays in orders: passes through. */
    total(x) {
      return this.helper(x);
    }
    helper(x) {
      return x + 1;
    }
  }
  Inject(BillingService)(OrdersService, undefined, 0);
  Reflect.decorate([Injectable()], OrdersService);
  class OrdersModule {}
  Reflect.decorate([Module({ imports: [BillingModule], providers: [OrdersService] })], OrdersModule);
  class AppModule {}
  Reflect.decorate([Module({ imports: [PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true } }), OrdersModule] })], AppModule);

  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  const orders = app.get(OrdersService);
  // Calls timed from inside the orders module (its context captured once, as code in a controller would run).
  const ordersContext = telemetry.boundary('orders').run('bench', () => context.active());
  const inOrders = (fn) => context.bind(ordersContext, fn);
  return { orders, inOrders };
}

export const boundaryCases = [
  ['plain sync call (baseline for run())', 5_000_000, () => () => syncWork(1)],
  [
    'plain call bound to a context (baseline for the Nest cases)',
    2_000_000,
    () => {
      const bound = context.bind(context.active(), () => syncWork(1));
      return () => bound();
    },
  ],
  [
    'boundary run(), sync fn (span, counter, histogram)',
    200_000,
    () => {
      const b = makeTelemetry().boundary('billing');
      return () => b.run('charge', () => syncWork(1));
    },
  ],
  [
    'boundary run(), sync fn, telemetry disabled',
    2_000_000,
    () => {
      const b = makeTelemetry({ disabled: true }).boundary('billing');
      return () => b.run('charge', () => syncWork(1));
    },
  ],
  ['plain await of an async fn (baseline for async run())', 1_000_000, () => () => asyncWork(1), { async: true }],
  [
    'boundary run(), async fn, awaited',
    200_000,
    () => {
      const b = makeTelemetry().boundary('billing');
      return () => b.run('charge', () => asyncWork(1));
    },
    { async: true },
  ],
  [
    'Nest auto mode: provider call across modules (orders -> billing, recorded)',
    200_000,
    async () => {
      const { orders, inOrders } = await nestPair();
      return inOrders(() => orders.place(1));
    },
  ],
  [
    'Nest auto mode: provider call inside its module (pass-through)',
    2_000_000,
    async () => {
      const { orders, inOrders } = await nestPair();
      return inOrders(() => orders.total(1));
    },
  ],
];
