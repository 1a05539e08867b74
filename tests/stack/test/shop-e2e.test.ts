/**
 * The dashboards against the example shop: the demo (web on Express, accounts
 * on Fastify, billing on Nest, and the traffic generator walking visitors
 * through the signup funnel) runs headless while a real Prometheus scrapes
 * the three services' /metrics with the repository's SLO and funnel rules.
 * A fault (20% errors in accounts) runs from the start so failure panels fill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/sdk/test/support/prometheus.js';
import { poll } from './support/poll.js';
import { type StackPrometheus, startStackPrometheus } from './support/prometheus.js';
import { DEFAULT_MACROS, dashboardQueries, type PanelQuery, substitute } from './support/queries.js';
import { repoPath } from './support/repo.js';

const SERVICES = ['web', 'accounts', 'billing'] as const;
const ENV = 'demo';

/** Panels the shop's healthy traffic cannot fill in seconds, with why; their queries still run. */
const EXEMPT: Array<{ match: (query: PanelQuery) => boolean; why: string }> = [
  {
    match: (q) => q.dashboard === 'periscope-boundaries.json',
    why: 'the shop is three services, not a modular monolith; boundaries-e2e.test.ts runs these against examples/modular-monolith',
  },
  { match: (q) => q.raw.includes('offset 1w'), why: 'compares with a week ago; a fresh Prometheus has no last week' },
  { match: (q) => q.raw.includes('periscope_internal_errors_total'), why: 'a healthy SDK contains no failures to count' },
  { match: (q) => q.raw.includes('periscope_metric_cardinality_overflow_total'), why: 'the shop stays under every label budget' },
  { match: (q) => q.raw.includes('periscope_events_rejected_total'), why: 'the shop tracks only valid events' },
  { match: (q) => q.raw.includes('ALERTS'), why: 'the injected fault may or may not burn a budget fast enough in seconds' },
  {
    match: (q) => q.raw.includes('periscope_correlation_id_rejected_total') || q.raw.includes('periscope_invalid_input_total'),
    why: 'the traffic generator sends only valid correlation IDs and traceparents',
  },
  { match: (q) => q.raw.includes('periscope_events_dropped_total'), why: 'the shop configures no event sink' },
];

let demo: ChildProcess;
let prometheus: StackPrometheus;
const output: string[] = [];

beforeAll(async () => {
  const metricsPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const)));
  // A fault in accounts from the start, so the failure panels have data too.
  const args = [
    '--plain',
    '--rate',
    '12',
    '--seconds',
    '120',
    '--fault',
    'accounts:errors=20%',
    '--fault-after',
    '1s',
    '--fault-window',
    '5m',
  ];
  demo = spawn(process.execPath, [repoPath('examples/demo/dist/main.js'), ...args], {
    env: {
      ...process.env,
      WEB_PORT: '0',
      ACCOUNTS_PORT: '0',
      BILLING_PORT: '0',
      WEB_METRICS_PORT: String(metricsPorts.web),
      ACCOUNTS_METRICS_PORT: String(metricsPorts.accounts),
      BILLING_METRICS_PORT: String(metricsPorts.billing),
      NODE_ENV: ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  demo.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  prometheus = await startStackPrometheus(SERVICES.map((service) => ({ target: `127.0.0.1:${metricsPorts[service]}`, service, env: ENV })));
  const up = await poll(
    () => prometheus.query('count by (service) (rate(http_server_request_duration_seconds_count[20s]) > 0)'),
    (result) => result.length === SERVICES.length,
    90,
    500,
  );
  if (up.length !== SERVICES.length) throw new Error(`the shop did not serve traffic on all services:\n${output.join('')}`);
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGINT');
    await once(demo, 'exit');
  }
});

describe('every dashboard panel against the example shop', () => {
  it('each panel query returns data for at least one shop service (exempt panels still run)', async () => {
    const { panels } = await dashboardQueries();
    const empty: string[] = [];
    for (const panel of panels) {
      const queries = SERVICES.map((service) =>
        substitute(panel.raw, { ...DEFAULT_MACROS, service, env: ENV, route: '.*', funnel: 'signup', rateInterval: '20s', range: '5m' }),
      );
      if (EXEMPT.some((rule) => rule.match(panel))) {
        for (const q of queries) await prometheus.query(q);
        continue;
      }
      const filled = await poll(
        async () => (await Promise.all(queries.map((q) => prometheus.query(q)))).some((result) => result.length > 0),
        (some) => some,
        6,
        500,
      );
      if (!filled) empty.push(`${panel.where}: ${queries[0]}`);
    }
    expect(empty).toEqual([]);
  }, 120_000);

  it('the shop funnel gives conversion ratios between 0 and 1', async () => {
    // Until each step has moved at least once in the window: a step whose counter has one sample, or
    // has not changed between the first two, has rate 0 and a ratio of 0 (early in the run, not an error).
    // Early on, rate() also extrapolates each counter from its first samples, which may start at different
    // times: a later step can then briefly read above the earlier one (seen once on a loaded machine).
    // The poll waits for ratios in (0, 1]; one that never gets there fails the test.
    const inRange = (series: { value: [number, string] }): boolean => Number(series.value[1]) > 0 && Number(series.value[1]) <= 1;
    const ratios = await poll(
      () => prometheus.query('periscope:funnel_conversion:ratio5m{funnel="signup"}'),
      (result) => result.length === 3 && result.every(inRange),
      60,
      500,
    );
    expect(ratios).toHaveLength(3);
    for (const series of ratios) {
      const value = Number(series.value[1]);
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it('the duration histograms carry exemplars with trace IDs from every service', async () => {
    const now = Date.now() / 1000;
    const exemplars = await poll(
      () => prometheus.queryExemplars('http_server_request_duration_seconds_bucket', now - 300, Date.now() / 1000),
      (result) => new Set(result.map((s) => s.seriesLabels.service)).size === SERVICES.length,
    );
    expect(new Set(exemplars.map((s) => s.seriesLabels.service))).toEqual(new Set(SERVICES));
    for (const series of exemplars) for (const e of series.exemplars) expect(e.labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
