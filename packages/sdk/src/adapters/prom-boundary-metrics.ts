import { Counter } from 'prom-client';
import { type BoundaryCallLabels, type BoundaryMetricsPort, METRIC_MODULE_CALL_DURATION, METRIC_MODULE_CALLS } from '../core/boundary.js';
import type { CardinalityGuard } from '../core/cardinality.js';
import { FastHistogram, type HistogramSeries } from './histogram.js';
import type { MetricsRegistry } from './registry.js';

/**
 * Buckets of `module_call_duration_seconds`: in-process calls are often far
 * below the HTTP buckets' 5 ms floor.
 */
export const BOUNDARY_DURATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One admitted label set of the calls counter: counted in a plain number, moved into prom-client at scrape time. */
interface PendingCount {
  readonly labels: BoundaryCallLabels;
  count: number;
}

/**
 * `module_calls_total{from_module, to_module, operation, outcome}` and
 * `module_call_duration_seconds{from_module, to_module}`: the module
 * dependency graph with its rates, errors and latency. Both go through the
 * cardinality guard; series are cached per admitted label set only, so the
 * caches are as bounded as the series. A call adds to a number and writes a
 * histogram bucket: no label hashing on the call path.
 */
export class PromBoundaryMetrics implements BoundaryMetricsPort {
  readonly #calls: Counter<keyof BoundaryCallLabels>;
  readonly #duration: FastHistogram;
  readonly #guard: CardinalityGuard;
  readonly #callSeries = new Map<string, PendingCount>();
  readonly #durationSeries = new Map<string, HistogramSeries>();
  readonly #pending: PendingCount[] = [];

  constructor(registry: MetricsRegistry, guard: CardinalityGuard) {
    this.#guard = guard;
    const pending = this.#pending;
    this.#calls = new Counter({
      name: METRIC_MODULE_CALLS,
      help: 'Calls across module boundaries inside the process, by calling module, called module, operation and outcome.',
      labelNames: ['from_module', 'to_module', 'operation', 'outcome'],
      registers: [registry],
      collect() {
        for (const series of pending) {
          if (series.count === 0) continue;
          this.inc(series.labels, series.count);
          series.count = 0;
        }
      },
    });
    this.#duration = new FastHistogram(registry, {
      name: METRIC_MODULE_CALL_DURATION,
      help: 'Duration of calls across module boundaries, by calling and called module.',
      buckets: BOUNDARY_DURATION_BUCKETS,
    });
  }

  callFinished(labels: BoundaryCallLabels, durationSeconds: number): void {
    const callKey = `${labels.from_module}\u0000${labels.to_module}\u0000${labels.operation}\u0000${labels.outcome}`;
    const calls = this.#callSeries.get(callKey) ?? this.#countFor(callKey, labels);
    calls.count++;

    const edgeKey = `${labels.from_module}\u0000${labels.to_module}`;
    const duration = this.#durationSeries.get(edgeKey) ?? this.#durationFor(edgeKey, labels);
    this.#duration.observe(duration, durationSeconds);
  }

  #countFor(key: string, labels: BoundaryCallLabels): PendingCount {
    const own = { ...labels };
    const admitted = this.#guard.admit(METRIC_MODULE_CALLS, own);
    // A folded set shares one entry per folded shape; the guard counts every overflowing call.
    const cacheKey = admitted === own ? key : `\u0001overflow:${admitted.outcome}`;
    let series = this.#callSeries.get(cacheKey);
    if (!series) {
      series = { labels: admitted, count: 0 };
      this.#calls.inc(admitted, 0);
      this.#pending.push(series);
      this.#callSeries.set(cacheKey, series);
    }
    return series;
  }

  #durationFor(key: string, labels: BoundaryCallLabels): HistogramSeries {
    const edge = { from_module: labels.from_module, to_module: labels.to_module };
    const admitted = this.#guard.admit(METRIC_MODULE_CALL_DURATION, edge);
    const cacheKey = admitted === edge ? key : '\u0001overflow';
    let series = this.#durationSeries.get(cacheKey);
    if (!series) {
      series = this.#duration.series(admitted);
      this.#durationSeries.set(cacheKey, series);
    }
    return series;
  }
}
