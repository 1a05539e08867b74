import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { type Boundary, createTelemetry, currentModule, PeriscopeError, type Telemetry } from '../src/index.js';
import { startServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { parseExposition, samplesOf, sampleValue } from './support/parse-metrics.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function make(options: { disabled?: boolean; maxLabelSets?: number } = {}) {
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: 'monolith',
    env: {},
    disabled: options.disabled,
    logs: { destination: new LogLines() },
    metrics: { server: false, runtime: false, maxLabelSets: options.maxLabelSets },
    traces: { exporter, scheduledDelayMillis: 5 },
  });
  cleanups.push(() => telemetry.shutdown());
  const spans = async (): Promise<ReadableSpan[]> => {
    await telemetry.forceFlush();
    return exporter.getFinishedSpans().filter((s) => s.kind === 0);
  };
  return { telemetry, spans };
}

async function page(telemetry: Telemetry) {
  return parseExposition(await telemetry.metrics('openmetrics'));
}

async function calls(telemetry: Telemetry, labels: Record<string, string>): Promise<number> {
  return sampleValue(await page(telemetry), 'module_calls_total', labels);
}

/** Every `module_calls_total` sample as `from>to.operation outcome = n`, sorted: the call graph as one value. */
async function callGraph(telemetry: Telemetry): Promise<string[]> {
  return samplesOf(await page(telemetry), 'module_calls_total')
    .map((s) => `${s.labels.from_module}>${s.labels.to_module}.${s.labels.operation} ${s.labels.outcome} = ${s.value}`)
    .sort();
}

describe('boundary().run', () => {
  it('records an INTERNAL span <module>.<operation>, the call counter and the edge histogram', async () => {
    const { telemetry, spans } = make();
    const billing = telemetry.boundary('billing');
    expect(billing.run('charge', () => 42)).toBe(42);

    expect(await callGraph(telemetry)).toEqual(['none>billing.charge ok = 1']);
    const parsed = await page(telemetry);
    expect(sampleValue(parsed, 'module_call_duration_seconds_count', { from_module: 'none', to_module: 'billing' })).toBe(1);
    const [span] = await spans();
    expect(span?.name).toBe('billing.charge');
    expect(span?.attributes).toMatchObject({
      'code.namespace': 'billing',
      'code.function.name': 'billing.charge',
      'periscope.module': 'billing',
      'periscope.module.caller': 'none',
      'periscope.module.path': 'none>billing',
    });
    expect(span?.status.code).toBe(0);
  });

  it('nested boundaries form a path, and each names the module it was called from', async () => {
    const { telemetry, spans } = make();
    const orders = telemetry.boundary('orders');
    const billing = telemetry.boundary('billing');
    const catalog = telemetry.boundary('catalog');
    orders.run('place', () => {
      catalog.run('price', () => undefined);
      billing.run('charge', () => catalog.run('taxRate', () => 0.2));
    });
    expect(await callGraph(telemetry)).toEqual([
      'billing>catalog.taxRate ok = 1',
      'none>orders.place ok = 1',
      'orders>billing.charge ok = 1',
      'orders>catalog.price ok = 1',
    ]);
    const byName = new Map((await spans()).map((s) => [s.name, s]));
    expect(byName.get('catalog.taxRate')?.attributes['periscope.module.path']).toBe('none>orders>billing>catalog');
    expect(byName.get('catalog.price')?.attributes['periscope.module.path']).toBe('none>orders>catalog');
    // The spans nest as the calls did.
    expect(byName.get('catalog.taxRate')?.parentSpanContext?.spanId).toBe(byName.get('billing.charge')?.spanContext().spanId);
    expect(byName.get('billing.charge')?.parentSpanContext?.spanId).toBe(byName.get('orders.place')?.spanContext().spanId);
    expect(currentModule()).toBeUndefined();
  });

  it('straight from an HTTP handler the caller is "http", and the span is a child of the server span', async () => {
    const { telemetry, spans } = make();
    const orders = telemetry.boundary('orders');
    const server = await startServer(telemetry, (_req, res) => {
      orders.run('list', () => res.end('ok'));
    });
    cleanups.push(() => server.close());
    expect((await fetch(`${server.url}/orders`)).status).toBe(200);
    expect(await callGraph(telemetry)).toEqual(['http>orders.list ok = 1']);
    const [span] = await spans();
    expect(span?.attributes['periscope.module.caller']).toBe('http');
    expect(span?.parentSpanContext?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('async work keeps its module across await and timers, with concurrent calls interleaved', async () => {
    const { telemetry } = make();
    const orders = telemetry.boundary('orders');
    const catalog = telemetry.boundary('catalog');
    const billing = telemetry.boundary('billing');
    const seen: string[] = [];
    const flow = (entry: Boundary, delays: number[]) =>
      entry.run('work', async () => {
        for (const delay of delays) {
          await sleep(delay);
          seen.push(`${entry.module}:${currentModule()}`);
          await new Promise<void>((resolve) => setTimeout(() => billing.run('charge', async () => resolve()), delay));
        }
      });
    // Two modules' flows run at once and hop over each other's timers.
    await Promise.all([flow(orders, [5, 1, 8]), flow(catalog, [1, 6, 2])]);
    expect(seen.sort()).toEqual([
      'catalog:catalog',
      'catalog:catalog',
      'catalog:catalog',
      'orders:orders',
      'orders:orders',
      'orders:orders',
    ]);
    expect(await callGraph(telemetry)).toEqual([
      'catalog>billing.charge ok = 3',
      'none>catalog.work ok = 1',
      'none>orders.work ok = 1',
      'orders>billing.charge ok = 3',
    ]);
  });
});

describe('boundaries never change what the function does', () => {
  it('a sync throw rethrows the same error, recorded as outcome="error" on the counter and the span', async () => {
    const { telemetry, spans } = make();
    const billing = telemetry.boundary('billing');
    const failure = new RangeError('card declined');
    let thrown: unknown;
    try {
      billing.run('charge', () => {
        throw failure;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(failure);
    expect(await calls(telemetry, { from_module: 'none', to_module: 'billing', operation: 'charge', outcome: 'error' })).toBe(1);
    const [span] = await spans();
    expect(span?.status).toEqual({ code: 2, message: 'RangeError' });
    expect(span?.attributes['error.type']).toBe('RangeError');
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a rejected promise rejects with the same reason; a resolved one with the same value', async () => {
    const { telemetry } = make();
    const billing = telemetry.boundary('billing');
    const reason = { code: 'E_NOT_AN_ERROR' };
    await expect(billing.run('charge', () => Promise.reject(reason))).rejects.toBe(reason);
    const value = { id: 7 };
    await expect(billing.run('refund', async () => value)).resolves.toBe(value);
    expect(await callGraph(telemetry)).toEqual(['none>billing.charge error = 1', 'none>billing.refund ok = 1']);
  });

  it('the outcome and duration of an async call are taken when it settles, not when it returns', async () => {
    const { telemetry } = make();
    const billing = telemetry.boundary('billing');
    let settle: (v: string) => void = () => {};
    const pending = billing.run('charge', () => new Promise<string>((resolve) => (settle = resolve)));
    expect(samplesOf(await page(telemetry), 'module_calls_total')).toEqual([]);
    settle('done');
    expect(await pending).toBe('done');
    expect(await calls(telemetry, { from_module: 'none', to_module: 'billing', operation: 'charge', outcome: 'ok' })).toBe(1);
  });

  it('a foreign thenable is returned as is and never has then() called by Periscope', async () => {
    const { telemetry } = make();
    let thenCalls = 0;
    const lazy = {
      // biome-ignore lint/suspicious/noThenProperty: the point of the test is a thenable that is not a Promise
      then(resolve: (v: number) => void) {
        thenCalls++;
        resolve(1);
      },
    };
    expect(telemetry.boundary('db').run('query', () => lazy)).toBe(lazy);
    expect(thenCalls).toBe(0);
  });

  it('an unhandled rejection stays unhandled (the caller gets a promise that rejects the same way)', async () => {
    const { telemetry } = make();
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    cleanups.push(() => process.off('unhandledRejection', listener));
    const reason = new Error('nobody awaits me');
    void telemetry.boundary('billing').run('charge', async () => {
      throw reason;
    });
    await sleep(20);
    expect(unhandled).toEqual([reason]);
  });

  it('apply() passes this and the arguments through', () => {
    const { telemetry } = make();
    const account = {
      balance: 10,
      debit(this: { balance: number }, amount: number, note: string) {
        this.balance -= amount;
        return `${note}:${this.balance}`;
      },
    };
    expect(telemetry.boundary('accounts').apply('debit', account.debit, account, [3, 'coffee'])).toBe('coffee:7');
    expect(account.balance).toBe(7);
  });

  it('an empty or non-string operation in run() is labelled "unknown" and counted as invalid input, never thrown', async () => {
    const { telemetry } = make();
    expect(telemetry.boundary('billing').run('' as string, () => 1)).toBe(1);
    expect(telemetry.boundary('billing').run(undefined as unknown as string, () => 2)).toBe(2);
    expect(await calls(telemetry, { from_module: 'none', to_module: 'billing', operation: 'unknown', outcome: 'ok' })).toBe(2);
    expect(sampleValue(await page(telemetry), 'periscope_invalid_input_total', { input: 'boundary_operation' })).toBe(2);
  });
});

describe('bad boundary definitions fail at definition time', () => {
  it.each([
    ['an empty string', ''],
    ['blanks', '   '],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { name: 'billing' }],
    ['a 129-character name', 'm'.repeat(129)],
  ])('boundary(%s) throws PERISCOPE_INVALID_BOUNDARY', (_what, name) => {
    const { telemetry } = make();
    let thrown: unknown;
    try {
      telemetry.boundary(name as string);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PeriscopeError);
    expect((thrown as PeriscopeError).code).toBe('PERISCOPE_INVALID_BOUNDARY');
    expect((thrown as PeriscopeError).message).toContain('module name');
  });

  it('is also checked when telemetry is disabled', () => {
    const { telemetry } = make({ disabled: true });
    expect(() => telemetry.boundary('')).toThrow(expect.objectContaining({ code: 'PERISCOPE_INVALID_BOUNDARY' }));
  });

  it('operation() on anything but a method throws PERISCOPE_INVALID_BOUNDARY when the class is defined', () => {
    const { telemetry } = make();
    const decorator = telemetry.boundary('billing').operation() as unknown as (...args: unknown[]) => unknown;
    // What the compilers pass for a field: legacy (prototype, key, no descriptor), standard (undefined, { kind: 'field' }).
    expect(() => decorator({}, 'rate', undefined)).toThrow(expect.objectContaining({ code: 'PERISCOPE_INVALID_BOUNDARY' }));
    expect(() => decorator(undefined, { kind: 'field', name: 'rate' })).toThrow(
      expect.objectContaining({ code: 'PERISCOPE_INVALID_BOUNDARY' }),
    );
  });

  it('operation("") throws PERISCOPE_INVALID_BOUNDARY when the decorator is made', () => {
    const { telemetry } = make();
    expect(() => telemetry.boundary('billing').operation('')).toThrow(expect.objectContaining({ code: 'PERISCOPE_INVALID_BOUNDARY' }));
  });
});

describe('disabled telemetry and bounded labels', () => {
  it('when disabled, run() only calls the function: no span, no metric, no module in context', async () => {
    const { telemetry, spans } = make({ disabled: true });
    const billing = telemetry.boundary('billing');
    const failure = new Error('x');
    expect(billing.run('charge', () => currentModule())).toBeUndefined();
    expect(() =>
      billing.run('charge', () => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(await spans()).toEqual([]);
    expect(await telemetry.metrics('openmetrics')).not.toContain('module_calls_total');
  });

  it('a service that defines no boundary exposes no boundary metric families', async () => {
    const { telemetry } = make();
    telemetry.boundary('billing'); // defined, never run
    expect(await telemetry.metrics('openmetrics')).not.toContain('module_call');
  });

  it('label sets past metrics.maxLabelSets fold into __overflow__ and are counted', async () => {
    const { telemetry } = make({ maxLabelSets: 2 });
    const billing = telemetry.boundary('billing');
    for (const operation of ['a', 'b', 'c', 'd', 'c']) billing.run(operation, () => undefined);
    const parsed = await page(telemetry);
    expect(
      samplesOf(parsed, 'module_calls_total')
        .map((s) => `${s.labels.operation}=${s.value}`)
        .sort(),
    ).toEqual(['__overflow__=3', 'a=1', 'b=1']);
    expect(sampleValue(parsed, 'periscope_metric_cardinality_overflow_total', { metric: 'module_calls_total' })).toBe(3);
  });
});

/**
 * The decorator compiled by the real TypeScript compiler, both ways a plain TS
 * class can be decorated: standard (TC39) decorators and legacy
 * `experimentalDecorators` (what NestJS uses).
 */
describe('the operation() method decorator', () => {
  const source = `
    export function make(billing) {
      class Billing {
        rate = 2;
        @billing.operation('charge')
        charge(amount: number) { return amount * this.rate; }
        @billing.operation()
        async refund(amount: number) { await null; if (amount > this.rate) throw new TypeError('too much'); return amount; }
      }
      return new Billing();
    }`;
  it.each([
    ['standard (TC39)', false],
    ['legacy experimentalDecorators', true],
  ])('%s: keeps this, arguments, results and errors, and records each call', async (_kind, experimentalDecorators) => {
    const dir = mkdtempSync(join(tmpdir(), 'periscope-decorators-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, experimentalDecorators },
    }).outputText;
    // Standard decorators compile to __esDecorate; legacy ones to __decorate: the test really runs both.
    expect(js).toContain(experimentalDecorators ? '__decorate(' : '__esDecorate(');
    const file = join(dir, `billing-${experimentalDecorators ? 'legacy' : 'standard'}.mjs`);
    writeFileSync(file, js);
    const { make: makeBilling } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
      make(b: Boundary): { rate: number; charge(n: number): number; refund(n: number): Promise<number> };
    };
    const { telemetry, spans } = make();
    const billing = makeBilling(telemetry.boundary('billing'));
    billing.rate = 3;
    expect(billing.charge(5)).toBe(15);
    await expect(billing.refund(2)).resolves.toBe(2);
    await expect(billing.refund(9)).rejects.toThrow(TypeError);
    expect(billing.charge.name).toBe('charge');
    expect(await callGraph(telemetry)).toEqual([
      'none>billing.charge ok = 1',
      'none>billing.refund error = 1',
      'none>billing.refund ok = 1',
    ]);
    expect((await spans()).map((s) => s.name).sort()).toEqual(['billing.charge', 'billing.refund', 'billing.refund']);
  });
});
