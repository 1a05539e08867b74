import 'reflect-metadata';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, HttpCode, Inject, Injectable, Module, NotFoundException, Param, Post } from '@nestjs/common';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { PeriscopeError } from '@periscope/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { boundaryNameOf, PeriscopeModule, type PeriscopeModuleOptions } from '../src/index.js';
import { platforms, startApp } from './support/app.js';
import { createTestTelemetry } from './support/telemetry.js';

/**
 * A Nest monolith with three modules and not one line of Periscope in them:
 * `PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true } })` alone
 * must give the module graph, on both platforms.
 */
class PaymentDeclined extends Error {}

@Injectable()
class CatalogService {
  readonly prices: Record<string, number> = { book: 15, lamp: 49, piano: 4000 };
  price(sku: string): number {
    const price = this.prices[sku];
    if (price === undefined) throw new NotFoundException(`no product ${sku}`);
    return price;
  }
  async taxRate(): Promise<number> {
    await nextTurn();
    return 0.2;
  }
}

@Controller('catalog')
class CatalogController {
  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}
  @Get(':sku')
  product(@Param('sku') sku: string) {
    // Same module: controller -> service is not a boundary crossing.
    return { sku, price: this.catalog.price(sku) };
  }
}

@Module({ providers: [CatalogService], controllers: [CatalogController], exports: [CatalogService] })
class CatalogModule {}

@Injectable()
class BillingService {
  readonly limit = 1000;
  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}
  async charge(amount: number): Promise<number> {
    await sleep(1);
    const total = amount * (1 + (await this.catalog.taxRate())); // after an await: still from billing
    if (total > this.limit) throw new PaymentDeclined(`declined ${total}`);
    return total;
  }
}

@Module({ imports: [CatalogModule], providers: [BillingService], exports: [BillingService] })
class BillingModule {}

@Injectable()
class OrdersRepository {
  readonly orders: Array<{ sku: string; total: number }> = [];
  save(order: { sku: string; total: number }) {
    this.orders.push(order);
    return this.orders.length;
  }
}

@Injectable()
class OrdersService {
  constructor(
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(BillingService) private readonly billing: BillingService,
    @Inject(OrdersRepository) private readonly repository: OrdersRepository,
  ) {}
  async place(sku: string) {
    const total = await this.billing.charge(this.catalog.price(sku));
    return { id: this.repository.save({ sku, total }), total };
  }
}

@Controller('orders')
class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}
  @Post()
  @HttpCode(202)
  async place(@Body() body: { sku: string }) {
    try {
      return await this.orders.place(body.sku);
    } catch (error) {
      if (error instanceof PaymentDeclined) return { declined: true };
      throw error;
    }
  }
}

@Module({ imports: [CatalogModule, BillingModule], providers: [OrdersService, OrdersRepository], controllers: [OrdersController] })
class OrdersModule {}

/** A provider Periscope cannot wrap: it freezes itself. */
@Injectable()
class FrozenClock {
  constructor() {
    Object.freeze(this);
  }
  now() {
    return 42;
  }
}

@Controller('clock')
class ClockController {
  constructor(@Inject(FrozenClock) private readonly clock: FrozenClock) {}
  @Get()
  now() {
    return { now: this.clock.now() };
  }
}

@Module({ providers: [FrozenClock], controllers: [ClockController] })
class ClockModule {}

function graphOf(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line.startsWith('module_calls_total{'))
    .map((line) => {
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      return `${labels.from_module} > ${labels.to_module}.${labels.operation} ${labels.outcome} = ${line.split(' ').at(-1)}`;
    })
    .sort();
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(platforms)('boundaries: { auto: true } on %s', (platform) => {
  it('records the exact module graph of a three-module app called over HTTP, and nothing inside a module', async () => {
    const { telemetry, exporter } = createTestTelemetry({ logs: { level: 'silent' } });
    cleanups.push(() => telemetry.shutdown());
    const app = await startApp(platform, {
      imports: [PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true } }), OrdersModule, CatalogModule, BillingModule],
    });
    cleanups.push(() => app.close());

    const post = (sku: string) =>
      fetch(`${app.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku }) });
    // Three orders at once (their awaits interleave), a declined one, an unknown product, and two catalog reads.
    const statuses = await Promise.all([post('book'), post('lamp'), post('book')].map((r) => r.then((x) => x.status)));
    expect(statuses).toEqual([202, 202, 202]);
    expect(await (await post('piano')).json()).toEqual({ declined: true });
    expect((await post('nothing')).status).toBe(404);
    expect((await fetch(`${app.url}/catalog/book`)).status).toBe(200);
    expect((await fetch(`${app.url}/catalog/nothing`)).status).toBe(404);

    expect(graphOf(await telemetry.metrics('text'))).toEqual(
      [
        'http > catalog.CatalogController.product ok = 1',
        'http > catalog.CatalogController.product error = 1',
        'http > orders.OrdersController.place ok = 4', // the declined order is answered by the controller: ok
        'http > orders.OrdersController.place error = 1',
        'orders > catalog.CatalogService.price ok = 4',
        'orders > catalog.CatalogService.price error = 1',
        'orders > billing.BillingService.charge ok = 3',
        'orders > billing.BillingService.charge error = 1',
        'billing > catalog.CatalogService.taxRate ok = 4',
      ].sort(),
    );
    // Same-module calls (controller -> service, service -> repository) cross no boundary: no metric, no span.
    await telemetry.forceFlush();
    const spans: ReadableSpan[] = exporter.getFinishedSpans();
    const internal = spans.filter((s) => s.kind === 0);
    expect(internal.some((s) => /OrdersService|OrdersRepository/.test(s.name))).toBe(false);
    expect(internal).toHaveLength(2 + 5 + 5 + 4 + 4);

    // The span tree of a good order: server span > controller > billing > catalog, and the path attribute.
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const taxRates = internal.filter((s) => s.name === 'catalog.CatalogService.taxRate');
    expect(taxRates).toHaveLength(4);
    for (const span of taxRates) {
      const names: string[] = [];
      for (let s: ReadableSpan | undefined = span; s; s = byId.get(s.parentSpanContext?.spanId ?? '')) names.unshift(s.name);
      expect(names).toEqual([
        'POST /orders',
        'orders.OrdersController.place',
        'billing.BillingService.charge',
        'catalog.CatalogService.taxRate',
      ]);
      expect(span.attributes).toMatchObject({
        'code.namespace': 'catalog',
        'periscope.module': 'catalog',
        'periscope.module.caller': 'billing',
        'periscope.module.path': 'http>orders>billing>catalog',
      });
    }
  });

  it('keeps Nest working as before: route metadata, status codes, this, and the error answers', async () => {
    const { telemetry } = createTestTelemetry({ logs: { level: 'silent' } });
    cleanups.push(() => telemetry.shutdown());
    const app = await startApp(platform, {
      imports: [PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true } }), OrdersModule, CatalogModule, BillingModule],
    });
    cleanups.push(() => app.close());
    const created = await fetch(`${app.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'book' }),
    });
    expect(created.status).toBe(202); // @HttpCode(202), read by Nest from the wrapped handler
    expect(await created.json()).toEqual({ id: 1, total: 18 });
    const missing = await fetch(`${app.url}/catalog/none`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, message: 'no product none' });
    // The singleton kept its state through the wrappers (this is the instance).
    expect(app.app.get(OrdersRepository).orders).toEqual([{ sku: 'book', total: 18 }]);
  });
});

describe('boundaries option', () => {
  it('is off by default: the same app records no module call', async () => {
    const { telemetry } = createTestTelemetry({ logs: { level: 'silent' } });
    cleanups.push(() => telemetry.shutdown());
    const app = await startApp('express', {
      imports: [PeriscopeModule.forRoot({ telemetry }), OrdersModule, CatalogModule, BillingModule],
    });
    cleanups.push(() => app.close());
    expect((await fetch(`${app.url}/catalog/book`)).status).toBe(200);
    expect(await telemetry.metrics('text')).not.toContain('module_calls_total');
  });

  it('exclude leaves a module out', async () => {
    const { telemetry } = createTestTelemetry({ logs: { level: 'silent' } });
    cleanups.push(() => telemetry.shutdown());
    const app = await startApp('express', {
      imports: [
        PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true, exclude: ['CatalogModule'] } }),
        OrdersModule,
        CatalogModule,
        BillingModule,
      ],
    });
    cleanups.push(() => app.close());
    await fetch(`${app.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"book"}' });
    expect(graphOf(await telemetry.metrics('text'))).toEqual([
      'http > orders.OrdersController.place ok = 1',
      'orders > billing.BillingService.charge ok = 1',
    ]);
  });

  it('a provider that cannot be wrapped (frozen) is left as it is, counted, and the others are still wrapped', async () => {
    const { telemetry } = createTestTelemetry({ logs: { level: 'silent' } });
    cleanups.push(() => telemetry.shutdown());
    const app = await startApp('express', { imports: [PeriscopeModule.forRoot({ telemetry, boundaries: { auto: true } }), ClockModule] });
    cleanups.push(() => app.close());
    const response = await fetch(`${app.url}/clock`);
    expect(await response.json()).toEqual({ now: 42 });
    const text = await telemetry.metrics('text');
    expect(text).toContain('periscope_internal_errors_total{where="nest.boundaries.wrap"} 1');
    expect(graphOf(text)).toEqual(['http > clock.ClockController.now ok = 1']);
  });

  it.each([
    ['a string', 'auto'],
    ['auto not a boolean', { auto: 'yes' }],
    ['exclude not a list of names', { auto: true, exclude: [''] }],
  ])('rejects %s with PERISCOPE_INVALID_OPTION at forRoot', (_what, boundaries) => {
    const { telemetry } = createTestTelemetry();
    cleanups.push(() => telemetry.shutdown());
    let thrown: unknown;
    try {
      PeriscopeModule.forRoot({ telemetry, boundaries } as unknown as PeriscopeModuleOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PeriscopeError);
    expect((thrown as PeriscopeError).code).toBe('PERISCOPE_INVALID_OPTION');
    expect((thrown as PeriscopeError).message).toContain('boundaries');
  });

  it('names modules after their class: OrdersModule -> orders, UserProfilesModule -> user-profiles', () => {
    expect(['OrdersModule', 'UserProfilesModule', 'HTTPClientModule', 'Module'].map(boundaryNameOf)).toEqual([
      'orders',
      'user-profiles',
      'http-client',
      'module',
    ]);
  });
});
