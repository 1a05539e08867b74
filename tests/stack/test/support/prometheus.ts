/**
 * A real Prometheus (Debian's package) for the end-to-end test, configured
 * like the stack's: exemplar storage, the repository's rule files, a
 * `service` and `env` label on the scraped target. Everything is fast (1 s
 * scrape and evaluation) so the test waits seconds, not minutes.
 */
import { type PromExemplarSeries, type PromSeries, startPrometheus } from '../../../../packages/sdk/test/support/prometheus.js';
import { RULE_FILES, repoPath } from './repo.js';

export type { PromSeries };

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
  // Spawning, readiness, the query API and cleanup are the SDK tests' helper's.
  return startPrometheus({ config });
}
