/**
 * The module-boundaries dashboard against real data: the example modular
 * monolith (examples/modular-monolith: catalog, orders, billing on Express)
 * serves its traffic rounds over HTTP while a real Prometheus, configured
 * like the stack's, scrapes its /metrics. Every query of
 * periscope-boundaries.json must return data, and the graph it draws must be
 * the monolith's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMonolith, startMonolith } from '../../../examples/modular-monolith/src/server.js';
import { driveRound, ROUND_STATUSES } from '../../../examples/modular-monolith/src/traffic.js';
import { poll } from './support/poll.js';
import { type PromSeries, type StackPrometheus, startStackPrometheus } from './support/prometheus.js';
import { DEFAULT_MACROS, dashboardQueries, type PanelQuery, substitute, syntaxErrors } from './support/queries.js';

const SERVICE = 'modular-monolith';
const ENV = 'test';
const FILE = 'periscope-boundaries.json';
// Grafana's $__rate_interval for a 1 s scrape is about 4 s; 20 s keeps several samples per window here.
const MACROS = { ...DEFAULT_MACROS, service: SERVICE, env: ENV, rateInterval: '20s', range: '5m' };

let monolith: RunningMonolith;
let prometheus: StackPrometheus;
let stop = false;
let traffic: Promise<number>;

beforeAll(async () => {
  monolith = await startMonolith({
    port: 0,
    telemetry: {
      env: {},
      logs: { level: 'silent' },
      traces: { exporter: 'none' },
      metrics: { server: { host: '127.0.0.1', port: 0 }, runtime: false },
    },
  });
  prometheus = await startStackPrometheus([{ target: new URL(monolith.metricsUrl as string).host, service: SERVICE, env: ENV }]);
  // Rounds of the example's fixed traffic until the tests are done; each round's answers are checked.
  traffic = (async () => {
    let rounds = 0;
    while (!stop) {
      expect(await driveRound(monolith.url)).toEqual(ROUND_STATUSES);
      rounds++;
      await sleep(100);
    }
    return rounds;
  })();
});

afterAll(async () => {
  stop = true;
  await traffic;
  await prometheus?.stop();
  await monolith?.close();
});

/** Polls an instant query until `accept` holds (see `poll`). */
const pollQuery = (promql: string, accept: (result: PromSeries[]) => boolean, tries = 60): Promise<PromSeries[]> =>
  poll(() => prometheus.query(promql), accept, tries);

async function boardQueries(): Promise<PanelQuery[]> {
  return (await dashboardQueries()).panels.filter((panel) => panel.dashboard === FILE);
}

describe('the module boundaries dashboard against a real Prometheus scraping the example monolith', () => {
  it('every panel query returns data, and the variables find the service', async () => {
    const panels = await boardQueries();
    expect(panels.length).toBeGreaterThanOrEqual(15);
    const empty: string[] = [];
    for (const panel of panels) {
      const promql = substitute(panel.raw, MACROS);
      expect(syntaxErrors('promql', promql), panel.where).toEqual([]);
      const result = await pollQuery(promql, (series) => series.length > 0);
      if (result.length === 0) empty.push(`${panel.where}: ${promql}`);
    }
    expect(empty).toEqual([]);
    expect(
      (await prometheus.query('group by (service, env) (module_calls_total)')).map((s) => `${s.metric.service}/${s.metric.env}`),
    ).toEqual([`${SERVICE}/${ENV}`]);
  });

  it('the node graph has the four modules as nodes and the five calls as edges, with id, source and target', async () => {
    const graph = (await boardQueries()).filter((panel) => panel.panel === 'Module graph');
    const nodes = await pollQuery(substitute(graph[0]?.raw ?? '', MACROS), (r) => r.length === 4);
    expect(nodes.map((s) => s.metric.id).sort()).toEqual(['billing', 'catalog', 'http', 'orders']);
    // http is an entry point: it spends no time of its own as a callee.
    expect(Number(nodes.find((s) => s.metric.id === 'http')?.value[1])).toBe(0);
    expect(Number(nodes.find((s) => s.metric.id === 'billing')?.value[1])).toBeGreaterThan(0);
    const radius = await pollQuery(substitute(graph[1]?.raw ?? '', MACROS), (r) => r.length === 4);
    for (const node of radius) {
      expect(Number(node.value[1])).toBeGreaterThanOrEqual(20);
      expect(Number(node.value[1])).toBeLessThanOrEqual(60);
    }
    const edges = await pollQuery(substitute(graph[2]?.raw ?? '', MACROS), (r) => r.length === 5);
    expect(edges.map((s) => `${s.metric.id} ${s.metric.source} ${s.metric.target}`).sort()).toEqual([
      'billing->catalog billing catalog',
      'http->catalog http catalog',
      'http->orders http orders',
      'orders->billing orders billing',
      'orders->catalog orders catalog',
    ]);
    // Colour is the error ratio: per round orders -> billing fails 1 call in 4, billing -> catalog never.
    const colour = await pollQuery(substitute(graph[4]?.raw ?? '', MACROS), (r) => r.length === 5);
    const ratio = (id: string) => Number(colour.find((s) => s.metric.id === id)?.value[1]);
    expect(ratio('orders->billing')).toBeCloseTo(0.25, 1);
    expect(ratio('http->orders')).toBeCloseTo(2 / 6, 1);
    expect(ratio('billing->catalog')).toBe(0);
  });

  it('the extraction candidates count each module’s distinct callers and rank by latency contributed', async () => {
    const table = (await boardQueries()).filter((panel) => panel.panel === 'Extraction candidates');
    const callers = await pollQuery(substitute(table[2]?.raw ?? '', MACROS), (r) => r.length === 3);
    expect(Object.fromEntries(callers.map((s) => [s.metric.to_module, Number(s.value[1])]))).toEqual({ catalog: 3, orders: 1, billing: 1 });
    const contributed = await pollQuery(substitute(table[0]?.raw ?? '', MACROS), (r) => r.length === 3);
    const of = (module: string) => Number(contributed.find((s) => s.metric.to_module === module)?.value[1]);
    // billing waits 2 ms per charge on its card processor: it contributes latency of its own.
    expect(of('billing')).toBeGreaterThan(0);
    for (const module of ['orders', 'catalog']) expect(of(module)).toBeGreaterThanOrEqual(0);
  });
});
