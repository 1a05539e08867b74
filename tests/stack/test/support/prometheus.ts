/**
 * A real Prometheus (Debian's package) for the end-to-end test, configured
 * like the stack's: exemplar storage, the repository's rule files, a
 * `service` and `env` label on the scraped target. Everything is fast (1 s
 * scrape and evaluation) so the test waits seconds, not minutes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type PromExemplarSeries, type PromSeries } from '../../../../packages/sdk/test/support/prometheus.js';
import { RULE_FILES, repoPath } from './repo.js';

export interface StackPrometheus {
  readonly url: string;
  query(promql: string): Promise<PromSeries[]>;
  queryExemplars(promql: string, start: number, end: number): Promise<PromExemplarSeries[]>;
  stop(): Promise<void>;
}

/** One scrape target and the `service`/`env` labels the stack's Prometheus config gives it. */
export interface StackTarget {
  target: string;
  service: string;
  env: string;
}

export async function startStackPrometheus(
  target: string | StackTarget[],
  labels?: { service: string; env: string },
): Promise<StackPrometheus> {
  const targets: StackTarget[] = typeof target === 'string' ? [{ target, ...(labels as { service: string; env: string }) }] : target;
  const dir = await mkdtemp(join(tmpdir(), 'periscope-stack-prometheus-'));
  const config = [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    'rule_files:',
    ...RULE_FILES.map((file) => `  - ${JSON.stringify(repoPath(file))}`),
    'scrape_configs:',
    '  - job_name: periscope',
    '    static_configs:',
    ...targets.flatMap((t) => [
      `      - targets: [${JSON.stringify(t.target)}]`,
      `        labels: { service: ${JSON.stringify(t.service)}, env: ${JSON.stringify(t.env)} }`,
    ]),
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.env.PROMETHEUS_BIN ?? 'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  for (let attempt = 0; ; attempt++) {
    if (spawnError || child.exitCode !== null || attempt === 100) {
      await stop();
      throw new Error(`prometheus did not become ready (${spawnError?.message ?? `exit ${child.exitCode}`}):\n${output.join('')}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    await sleep(100);
  }

  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} failed for ${params.query}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    query: async (promql) => (await api<{ result: PromSeries[] }>('/api/v1/query', { query: promql })).result,
    queryExemplars: (promql, start, end) =>
      api<PromExemplarSeries[]>('/api/v1/query_exemplars', { query: promql, start: String(start), end: String(end) }),
    stop,
  };
}
