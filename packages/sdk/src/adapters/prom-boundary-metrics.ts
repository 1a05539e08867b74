import { Counter, Histogram } from 'prom-client';
import { type BoundaryCallLabels, type BoundaryMetricsPort, METRIC_MODULE_CALL_DURATION, METRIC_MODULE_CALLS } from '../core/boundary.js';
import type { CardinalityGuard } from '../core/cardinality.js';
import type { MetricsRegistry } from './registry.js';

/**
 * Buckets of `module_call_duration_seconds`: in-process calls are often far
 * below the HTTP buckets' 5 ms floor.
 */
export const BOUNDARY_DURATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type CountSeries = ReturnType<Counter<keyof BoundaryCallLabels>['labels']>;
type DurationSeries = ReturnType<Histogram<'from_module' | 'to_module'>['labels']>;

/**
 * `module_calls_total{from_module, to_module, operation, outcome}` and
 * `module_call_duration_seconds{from_module, to_module}`: the module
 * dependency graph with its rates, errors and latency. Both go through the
 * cardinality guard; bound series are cached per admitted label set only, so
 * the caches are as bounded as the series.
 */
export class PromBoundaryMetrics implements BoundaryMetricsPort {
  readonly #calls: Counter<keyof BoundaryCallLabels>;
  readonly #duration: Histogram<'from_module' | 'to_module'>;
  readonly #guard: CardinalityGuard;
  readonly #callSeries = new Map<string, CountSeries>();
  readonly #durationSeries = new Map<string, DurationSeries>();

  constructor(registry: MetricsRegistry, guard: CardinalityGuard) {
    this.#guard = guard;
    this.#calls = new Counter({
      name: METRIC_MODULE_CALLS,
      help: 'Calls across module boundaries inside the process, by calling module, called module, operation and outcome.',
      labelNames: ['from_module', 'to_module', 'operation', 'outcome'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: METRIC_MODULE_CALL_DURATION,
      help: 'Duration of calls across module boundaries, by calling and called module.',
      labelNames: ['from_module', 'to_module'],
      buckets: BOUNDARY_DURATION_BUCKETS,
      registers: [registry],
    });
  }

  callFinished(labels: BoundaryCallLabels, durationSeconds: number): void {
    const callKey = `${labels.from_module}\u0000${labels.to_module}\u0000${labels.operation}\u0000${labels.outcome}`;
    let calls = this.#callSeries.get(callKey);
    if (!calls) {
      const admitted = this.#guard.admit(METRIC_MODULE_CALLS, labels);
      calls = this.#calls.labels(admitted);
      // A folded set is not cached under its own key: the guard counts every overflowing call.
      if (admitted === labels) this.#callSeries.set(callKey, calls);
    }
    calls.inc();

    const edgeKey = `${labels.from_module}\u0000${labels.to_module}`;
    let duration = this.#durationSeries.get(edgeKey);
    if (!duration) {
      const edge = { from_module: labels.from_module, to_module: labels.to_module };
      const admitted = this.#guard.admit(METRIC_MODULE_CALL_DURATION, edge);
      duration = this.#duration.labels(admitted);
      if (admitted === edge) this.#durationSeries.set(edgeKey, duration);
    }
    duration.observe(durationSeconds);
  }
}
