import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMonolith, startMonolith } from '../../../examples/modular-monolith/src/server.js';
import { driveRound, ROUND_STATUSES } from '../../../examples/modular-monolith/src/traffic.js';
import { freePort, type RunningPrometheus, startPrometheus } from '../../sdk/test/support/prometheus.js';
import { parseBoundariesArgs } from '../src/boundaries/index.js';

/**
 * `periscope boundaries` (the built CLI, as a user runs it) against the real
 * example monolith: its live /metrics page, and a real Prometheus scraping it.
 */
const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const boundaries = (...args: string[]) =>
  exec(process.execPath, [cli, 'boundaries', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

let monolith: RunningMonolith;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'periscope-boundaries-'));
  monolith = await startMonolith({
    port: 0,
    telemetry: {
      env: {},
      logs: { level: 'silent' },
      traces: { exporter: 'none' },
      metrics: { server: { host: '127.0.0.1', port: 0 }, runtime: false },
    },
  });
  for (let round = 0; round < 2; round++) expect(await driveRound(monolith.url)).toEqual(ROUND_STATUSES);
});
afterAll(async () => {
  await monolith?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The edge rows of the table: `from to calls errors err%`. */
function edgeRows(stdout: string): string[] {
  const rows: string[] = [];
  for (const line of stdout.slice(0, stdout.indexOf('Extraction candidates')).split('\n')) {
    const match = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+\.\d%)\s/.exec(line);
    if (match) rows.push(match.slice(1, 6).join(' '));
  }
  return rows.sort();
}

describe('periscope boundaries --metrics', () => {
  it('prints the exact module graph of two traffic rounds, and the extraction candidates', async () => {
    const { code, stdout } = await boundaries('--metrics', monolith.metricsUrl as string);
    expect(code).toBe(0);
    expect(stdout).toContain('(totals since the process started)');
    expect(edgeRows(stdout)).toEqual(
      [
        'http orders 12 4 33.3%',
        'orders catalog 10 2 20.0%',
        'orders billing 8 2 25.0%',
        'billing catalog 8 0 0.0%',
        'http catalog 6 2 33.3%',
      ].sort(),
    );
    expect(stdout).toMatch(/^orders\s+billing\s.*charge\(8, 2 err\)$/m);
    expect(stdout).toMatch(/^orders\s+catalog\s.*price\(10, 2 err\)$/m);
    // Candidates: catalog has three distinct callers; orders and billing one each.
    const candidates = stdout.slice(stdout.indexOf('Extraction candidates'));
    expect(candidates).toMatch(/^\d\. catalog\s+3\s+24\s+16\.7%.*\s+billing,http,orders$/m);
    expect(candidates).toMatch(/^\d\. orders\s+1\s+12\s+33\.3%.*\s+http$/m);
    expect(candidates).toMatch(/^\d\. billing\s+1\s+8\s+25\.0%.*\s+orders$/m);
    // Ranked by SELF time, which is TIME minus the module's own calls out (orders waits on billing and catalog).
    const json = JSON.parse((await boundaries('--metrics', monolith.metricsUrl as string, '--json')).stdout) as {
      modules: Array<{ module: string; secondsIn: number; secondsOut: number; selfSeconds: number }>;
    };
    const self = json.modules.map((m) => m.selfSeconds);
    expect(self).toEqual([...self].sort((a, b) => b - a));
    const orders = json.modules.find((m) => m.module === 'orders');
    expect(orders?.secondsOut).toBeGreaterThan(0);
    expect(orders?.selfSeconds).toBeCloseTo(Math.max(0, (orders?.secondsIn ?? 0) - (orders?.secondsOut ?? 0)), 9);
    // billing waits 2 ms per charge for the card processor, and calls out only to catalog.
    expect(json.modules.find((m) => m.module === 'billing')?.selfSeconds).toBeGreaterThanOrEqual(0.002 * 8);
    expect(
      candidates
        .split('\n')
        .filter((l) => /^\d\. /.test(l))
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(json.modules.map((m) => m.module));
  });

  it('writes a Mermaid flowchart and a Graphviz digraph with one labelled edge per pair of modules', async () => {
    const mermaidFile = join(dir, 'graph.mmd');
    const dotFile = join(dir, 'graph.dot');
    const { code, stderr } = await boundaries('--metrics', monolith.metricsUrl as string, '--mermaid', mermaidFile, '--dot', dotFile);
    expect(code).toBe(0);
    expect(stderr).toContain(`wrote ${mermaidFile}`);

    const mermaid = await readFile(mermaidFile, 'utf8');
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    const ids = Object.fromEntries([...mermaid.matchAll(/^ {2}(m\d+_\w+)\["([^"]+)"\]$/gm)].map((m) => [m[2], m[1]]));
    expect(Object.keys(ids).sort()).toEqual(['billing', 'catalog', 'http', 'orders']);
    expect(mermaid).toContain(`${ids.orders} -->|"8 calls, 25.0% err, mean `);
    expect(mermaid).toContain(`${ids.billing} -->|"8 calls, mean `);
    expect(mermaid.match(/-->/g)).toHaveLength(5);
    expect(mermaid.match(/^ {2}linkStyle \d+ stroke:#[0-9a-f]{6},stroke-width:\dpx$/gm)).toHaveLength(5);

    const dot = await readFile(dotFile, 'utf8');
    expect(dot.startsWith('digraph modules {')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    expect(dot).toMatch(/^ {2}"orders" -> "billing" \[label="8 calls, 25\.0% err, mean [^"]+", color="#d62728", penwidth=\d\];$/m);
    expect(dot).toMatch(/^ {2}"billing" -> "catalog" \[label="8 calls, mean [^"]+", color="#2ca02c", penwidth=\d\];$/m);
    expect(dot.match(/ -> /g)).toHaveLength(5);
  });

  it('--json gives the same graph as data', async () => {
    const { code, stdout } = await boundaries('--metrics', monolith.metricsUrl as string, '--json');
    expect(code).toBe(0);
    const graph = JSON.parse(stdout) as { edges: Array<{ from: string; to: string; calls: number; errors: number; operations: object }> };
    const edge = graph.edges.find((e) => e.from === 'billing' && e.to === 'catalog');
    expect(edge).toMatchObject({ calls: 8, errors: 0, operations: { taxRate: { calls: 8, errors: 0 } } });
  });

  it('refuses a bad command line naming the problem (exit 2 with the usage); exit 1 when the source cannot be read', async () => {
    const bad = [
      [[], 'exactly one of --metrics'],
      [['--metrics', 'http://a/metrics', '--prometheus', 'http://b'], 'exactly one of --metrics'],
      [['--prometheus', 'http://b', '--window', '5 minutes'], '--window must be a Prometheus duration'],
      [['--metrics', 'http://a/metrics', '--window', '5m'], '--window applies to --prometheus only'],
      [['--metrics', 'ftp://x'], '--metrics must be an http(s) URL'],
      [['--metrics', 'http://a/metrics', '--timeout', 'soon'], '--timeout must be milliseconds'],
    ] as const;
    for (const [args, message] of bad) expect(() => parseBoundariesArgs(args), args.join(' ')).toThrow(message);
    const usage = await boundaries('--prometheus', 'http://b', '--window', 'soon');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('periscope boundaries: --window must be');
    expect(usage.stderr).toContain('Usage:');
    const closed = `http://127.0.0.1:${await freePort()}/metrics`;
    const down = await boundaries('--metrics', closed, '--timeout', '2000');
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`periscope boundaries: cannot read ${closed}: ECONNREFUSED\n`);
  });
});

describe('periscope boundaries --prometheus', () => {
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    const target = new URL(monolith.metricsUrl as string).host;
    prometheus = await startPrometheus({ target, job: 'monolith' });
  });
  afterAll(() => prometheus?.stop());

  it('reads the graph over --window from a real Prometheus: the same edges, exact shares and error ratios', async () => {
    // Wait for a first scrape holding the series, send more traffic, wait for a scrape that sees it.
    const total = async () => Number((await prometheus.query('sum(module_calls_total)'))[0]?.value[1] ?? 0);
    for (let i = 0; i < 100 && (await total()) === 0; i++) await sleep(100);
    const before = await total();
    expect(before).toBe(44); // two rounds of 22 calls
    expect(await driveRound(monolith.url)).toEqual(ROUND_STATUSES);
    for (let i = 0; i < 100 && (await total()) !== 66; i++) await sleep(100);
    expect(await total()).toBe(66);

    const { code, stdout } = await boundaries('--prometheus', prometheus.url, '--window', '5m', '--json');
    expect(code).toBe(0);
    const graph = JSON.parse(stdout) as { edges: Array<{ from: string; to: string; calls: number; errors: number }> };
    expect(graph.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual([
      'billing>catalog',
      'http>catalog',
      'http>orders',
      'orders>billing',
      'orders>catalog',
    ]);
    // increase() extrapolates by a factor that depends on the query time, but every series was first
    // scraped at the same instant, so the factor is the same for all: shares and error ratios are exact.
    // Over the window the counters grew by exactly one round (22 calls).
    const all = graph.edges.reduce((sum, e) => sum + e.calls, 0);
    const share = Object.fromEntries(graph.edges.map((e) => [`${e.from}>${e.to}`, Math.round((e.calls / all) * 22 * 1e6) / 1e6]));
    expect(share).toEqual({ 'http>orders': 6, 'orders>catalog': 5, 'orders>billing': 4, 'billing>catalog': 4, 'http>catalog': 3 });
    const errorRatio = Object.fromEntries(graph.edges.map((e) => [`${e.from}>${e.to}`, Math.round((e.errors / e.calls) * 1e4) / 1e4]));
    expect(errorRatio).toEqual({
      'http>orders': 0.3333,
      'orders>catalog': 0.2,
      'orders>billing': 0.25,
      'billing>catalog': 0,
      'http>catalog': 0.3333,
    });

    const table = await boundaries('--prometheus', prometheus.url, '--window', '5m');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${prometheus.url} (increase over the last 5m)`);
    expect(table.stdout).toMatch(/^orders\s+billing\s+\d+(\.\d)?\s+\d+(\.\d)?\s+\d+\.\d%\s.*charge\(/m);
  });
});
