import { Counter } from 'prom-client';
import type { EventMetricsPort, EventSeries } from '../core/business-events.js';
import type { EventCatalog } from '../events/catalog.js';
import type { MetricsRegistry } from './registry.js';

/**
 * `business_events_total{event, <labels>}` and
 * `business_event_value_total{event, <labels>}`: one pair of counters for the
 * whole catalog, each event using only its own labels.
 */
export class PromEventMetrics implements EventMetricsPort {
  readonly #events: Counter<string>;
  readonly #values: Counter<string>;
  /** Series with counts not yet handed to prom-client: tracking only adds to numbers, scrapes move them over. */
  readonly #pending: PendingSeries[] = [];

  constructor(registry: MetricsRegistry, catalog: EventCatalog) {
    const labelNames = ['event', ...new Set(Object.values(catalog).flatMap((d) => d.labels ?? []))];
    const flush = (): void => this.#flush();
    this.#events = new Counter({
      name: 'business_events_total',
      help: 'Business events tracked, by event and its declared labels.',
      labelNames,
      registers: [registry],
      collect: flush,
    });
    this.#values = new Counter({
      name: 'business_event_value_total',
      help: 'Sum of the value of business events that carry one (e.g. amount_usd), by event and its declared labels.',
      labelNames,
      registers: [registry],
      collect: flush,
    });
  }

  series(labels: Readonly<Record<string, string>>): EventSeries {
    const series = new PendingSeries(labels);
    // The series exists (at 0) from its first event on, as prom-client's would.
    this.#events.labels(labels).inc(0);
    this.#pending.push(series);
    return series;
  }

  #flush(): void {
    for (const series of this.#pending) {
      if (series.count > 0) {
        this.#events.labels(series.labels).inc(series.count);
        series.count = 0;
      }
      if (series.sum > 0 || series.hasValue) {
        this.#values.labels(series.labels).inc(series.sum);
        series.sum = 0;
        series.hasValue = false;
      }
    }
  }
}

/** One label set's counts since the last scrape. */
class PendingSeries implements EventSeries {
  readonly labels: Readonly<Record<string, string>>;
  count = 0;
  sum = 0;
  hasValue = false;

  constructor(labels: Readonly<Record<string, string>>) {
    this.labels = labels;
  }

  add(value: number | undefined): void {
    this.count++;
    if (value !== undefined) {
      this.sum += value;
      this.hasValue = true;
    }
  }
}

const noopSeries: EventSeries = { add() {} };
export const noopEventMetrics: EventMetricsPort = { series: () => noopSeries };
