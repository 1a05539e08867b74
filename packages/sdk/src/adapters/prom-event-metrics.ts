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

  constructor(registry: MetricsRegistry, catalog: EventCatalog) {
    const labelNames = ['event', ...new Set(Object.values(catalog).flatMap((d) => d.labels ?? []))];
    this.#events = new Counter({
      name: 'business_events_total',
      help: 'Business events tracked, by event and its declared labels.',
      labelNames,
      registers: [registry],
    });
    this.#values = new Counter({
      name: 'business_event_value_total',
      help: 'Sum of the value of business events that carry one (e.g. amount_usd), by event and its declared labels.',
      labelNames,
      registers: [registry],
    });
  }

  series(labels: Readonly<Record<string, string>>): EventSeries {
    // prom-client's bound children hash and validate the labels once, here.
    const events = this.#events.labels(labels);
    let values: ReturnType<Counter<string>['labels']> | undefined;
    return {
      add: (value) => {
        events.inc();
        if (value !== undefined) {
          values ??= this.#values.labels(labels);
          values.inc(value);
        }
      },
    };
  }
}

const noopSeries: EventSeries = { add() {} };
export const noopEventMetrics: EventMetricsPort = { series: () => noopSeries };
