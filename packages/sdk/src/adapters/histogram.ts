import type { MetricsRegistry } from './registry.js';

/** An exemplar as prom-client's JSON snapshot carries it (what the exposition writer reads). */
interface ExemplarValue {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

interface SampleValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: ExemplarValue | null;
}

/**
 * One label set of a {@link FastHistogram}: bucket counts (not cumulative),
 * sum and count, and per bucket the latest exemplar, in flat arrays, so an
 * observation writes numbers and allocates nothing.
 */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly exemplarTrace: (string | undefined)[];
  readonly exemplarSpan: (string | undefined)[];
  readonly exemplarValue: Float64Array;
  readonly exemplarTime: Float64Array;

  constructor(labels: Readonly<Record<string, string>>, buckets: number) {
    this.labels = labels;
    // One slot per bound plus +Inf.
    this.counts = new Float64Array(buckets + 1);
    this.exemplarTrace = new Array(buckets + 1).fill(undefined);
    this.exemplarSpan = new Array(buckets + 1).fill(undefined);
    this.exemplarValue = new Float64Array(buckets + 1);
    this.exemplarTime = new Float64Array(buckets + 1);
  }
}

/**
 * A histogram for the request path. prom-client's hashes and validates the
 * label object and allocates an exemplar on every observation; this one is
 * handed a series the caller looked up once, and does arithmetic. It is
 * registered on the same prom-client registry and answers `get()` in
 * prom-client's own JSON shape, so the exposition (and anything else reading
 * the registry) sees an ordinary histogram.
 */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: number[];
  readonly #series: HistogramSeries[] = [];

  constructor(registry: MetricsRegistry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    registry.registerMetric(this as never);
  }

  /** A new series; the caller keeps it (one per admitted label set). */
  series(labels: Readonly<Record<string, string>>): HistogramSeries {
    const series = new HistogramSeries(labels, this.#bounds.length);
    this.#series.push(series);
    return series;
  }

  observe(series: HistogramSeries, value: number, traceId?: string, spanId?: string): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += value;
    series.count++;
    if (traceId !== undefined) {
      series.exemplarTrace[i] = traceId;
      series.exemplarSpan[i] = spanId;
      series.exemplarValue[i] = value;
      series.exemplarTime[i] = Date.now() / 1000;
    }
  }

  /** prom-client's snapshot shape: cumulative `_bucket` samples (with `le` first), then `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: string; values: SampleValue[]; aggregator: string }> {
    const values: SampleValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.#series) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += series.counts[i] as number;
        const trace = series.exemplarTrace[i];
        values.push({
          labels: { le: i < this.#bounds.length ? (this.#bounds[i] as number) : '+Inf', ...series.labels },
          value: cumulative,
          metricName: bucketName,
          exemplar:
            trace === undefined
              ? null
              : {
                  labelSet: { trace_id: trace, span_id: series.exemplarSpan[i] as string },
                  value: series.exemplarValue[i] as number,
                  timestamp: series.exemplarTime[i] as number,
                },
        });
      }
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every series (callers keep theirs). */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
      series.exemplarTrace.fill(undefined);
    }
  }
}
