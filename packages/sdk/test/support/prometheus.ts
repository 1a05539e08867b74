/**
 * A real Prometheus for integration tests: its own temp dir (config + TSDB),
 * a port chosen at run time on 127.0.0.1, exemplar storage on, and a 1 s
 * scrape of one target. Missing binary is an error, never a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

export interface PrometheusOptions {
  /** `host:port` scraped every second at `/metrics` (ignored when `config` is given). */
  target?: string;
  job?: string;
  /** A complete prometheus.yml, for callers that need rule files or several targets. */
  config?: string;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly job: string;
  /** Instant query; resolves with the vector result. */
  query(promql: string): Promise<PromSeries[]>;
  /** `/api/v1/query_exemplars` between `start` and `end` (Unix seconds). */
  queryExemplars(promql: string, start: number, end: number): Promise<PromExemplarSeries[]>;
  /** The scrape target as Prometheus reports it (health, lastError), for failure messages. */
  targets(): Promise<unknown>;
  stop(): Promise<void>;
}

function findBinary(): string {
  const candidates = [process.env.PROMETHEUS_BIN, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'prometheus'))];
  for (const candidate of [...candidates, '/usr/bin/prometheus']) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'The prometheus binary was not found (PATH, /usr/bin/prometheus or $PROMETHEUS_BIN). ' +
      'Run ./scripts/test.sh, which installs it (apt-get install prometheus), instead of running vitest directly.',
  );
}

/** A port free right now: listen on 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('could not read a free port');
  return address.port;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = findBinary();
  const job = options.job ?? 'periscope';
  const dir = await mkdtemp(join(tmpdir(), 'periscope-prometheus-'));
  const config =
    options.config ??
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      `  - job_name: ${job}`,
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      '',
    ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage,native-histograms',
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const stop = async (): Promise<void> => {
    if (exitCode === undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, () => exitCode, output);
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} failed: ${body.error ?? response.status}`);
    return body.data;
  };

  return {
    url,
    job,
    query: async (promql) => (await api<{ resultType: string; result: PromSeries[] }>('/api/v1/query', { query: promql })).result,
    queryExemplars: (promql, start, end) =>
      api<PromExemplarSeries[]>('/api/v1/query_exemplars', { query: promql, start: String(start), end: String(end) }),
    targets: () => api<unknown>('/api/v1/targets', { state: 'active' }),
    stop,
  };
}

async function waitUntilReady(url: string, exitCode: () => number | null | undefined, output: string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (exitCode() !== undefined) throw new Error(`prometheus exited with code ${exitCode()}:\n${output.join('')}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`prometheus was not ready at ${url}/-/ready after 10 s:\n${output.join('')}`);
}
