import { context, trace } from '@opentelemetry/api';
import type { EventCatalog, EventPropertyValue } from '../events/catalog.js';
import type { CardinalityGuard } from './cardinality.js';
import type { EventDispatcher, TrackedEvent } from './event-dispatcher.js';
import type { Guard } from './guard.js';
import type { LogPort, SelfTelemetryPort } from './ports.js';
import { getRequestContext } from './request-context.js';

/** One label set of the event counters, bound once and reused (no per-call label hashing). */
export interface EventSeries {
  add(value: number | undefined): void;
}

/** Where event counters go. */
export interface EventMetricsPort {
  /** The series for one label set (`event` plus the event's labels). */
  series(labels: Readonly<Record<string, string>>): EventSeries;
}

/** The label value for a value outside a label's allowed list. */
export const OTHER_VALUE = '__other__';
const MAX_LABEL_LENGTH = 128;
const REDACTED = '[Redacted]';
const KEEP_EVENT: ReadonlySet<string> = new Set(['event']);

/** Why `track()` refused an event; the label of `periscope_events_rejected_total`. */
export type EventRejection =
  | 'unknown_event'
  | 'invalid_properties'
  | 'invalid_label'
  | 'invalid_value'
  | 'unknown_property'
  | 'invalid_property';

/** One catalog entry, compiled once for the hot path. */
interface CompiledEvent {
  readonly labels: readonly string[];
  readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;
  readonly value: string | undefined;
  readonly properties: ReadonlySet<string>;
  readonly funnels: readonly string[];
}

export interface EventTrackerDeps {
  catalog: EventCatalog;
  /** Funnel names by step event name. */
  funnelsByStep: ReadonlyMap<string, readonly string[]>;
  metrics: EventMetricsPort;
  logger: LogPort;
  self: SelfTelemetryPort;
  guard: Guard;
  cardinality: CardinalityGuard;
  dispatcher: EventDispatcher | undefined;
  /** Lower-cased property names whose values never leave the process unredacted. */
  redactKeys: ReadonlySet<string>;
}

/**
 * `track(name, properties)`: one business event becomes, at once, a counter
 * (and a value sum), a log line with the request's IDs, a span event on the
 * active span (and, for funnel steps, an attribute on the request's server
 * span), and an entry for the optional sink. Never throws: a malformed event
 * from an untyped caller is dropped, counted and warned about once per name.
 */
export class EventTracker {
  readonly #deps: EventTrackerDeps;
  readonly #events = new Map<string, CompiledEvent>();
  readonly #warned = new Set<string>();
  /** Bound series by label-set key; bounded, because only admitted (or folded) sets are stored. */
  readonly #series = new Map<string, EventSeries>();

  constructor(deps: EventTrackerDeps) {
    this.#deps = deps;
    for (const [name, definition] of Object.entries(deps.catalog)) {
      this.#events.set(name, {
        labels: definition.labels ?? [],
        allowed: new Map(Object.entries(definition.allowed ?? {}).map(([label, values]) => [label, new Set(values)])),
        value: definition.value,
        properties: new Set(definition.properties ?? []),
        funnels: deps.funnelsByStep.get(name) ?? [],
      });
    }
  }

  track(name: string, properties: unknown): void {
    try {
      this.#track(name, properties);
    } catch (error) {
      this.#deps.guard.report('events.track', error);
    }
  }

  #reject(name: string, reason: EventRejection, detail: string): void {
    this.#deps.self.eventRejected(reason);
    const key = String(name).slice(0, 100);
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#deps.logger.warn(
      { component: 'periscope', event: key, reason },
      `periscope: event "${key}" dropped: ${detail}; further drops are only counted`,
    );
  }

  /** The bound series of a label set: cached when admitted; a folded set shares its `__overflow__` series. */
  #seriesFor(key: string, name: string, labels: Record<string, string>): EventSeries {
    const known = this.#series.get(key);
    if (known) return known;
    const { metrics, cardinality } = this.#deps;
    // Each event has its own label-set budget, and keeps its name when folded.
    const admitted = cardinality.admit('business_events_total', labels, `business_events_total:${name}`, KEEP_EVENT);
    if (admitted === labels) {
      const series = metrics.series(labels);
      this.#series.set(key, series);
      return series;
    }
    const foldedKey = `${name}\u0001overflow`;
    let folded = this.#series.get(foldedKey);
    if (!folded) {
      folded = metrics.series(admitted);
      this.#series.set(foldedKey, folded);
    }
    return folded;
  }

  #track(name: string, properties: unknown): void {
    const event = typeof name === 'string' ? this.#events.get(name) : undefined;
    if (!event) {
      this.#reject(String(name), 'unknown_event', 'it is not in the events catalog');
      return;
    }
    const props = (properties ?? {}) as Record<string, unknown>;
    if (typeof props !== 'object' || Array.isArray(props)) {
      this.#reject(name, 'invalid_properties', 'properties must be an object');
      return;
    }

    const labels: Record<string, string> = { event: name };
    const labelValues: Record<string, string> = {};
    let key = name;
    for (const label of event.labels) {
      const raw = props[label];
      if (typeof raw !== 'string') {
        this.#reject(name, 'invalid_label', `label "${label}" must be a string`);
        return;
      }
      const allowed = event.allowed.get(label);
      const clean = allowed ? (allowed.has(raw) ? raw : OTHER_VALUE) : raw.slice(0, MAX_LABEL_LENGTH);
      labels[label] = clean;
      labelValues[label] = clean;
      key += `\u0000${clean}`;
    }
    let value: number | undefined;
    if (event.value !== undefined) {
      value = props[event.value] as number;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        this.#reject(name, 'invalid_value', `value "${event.value}" must be a finite number >= 0`);
        return;
      }
    }
    const extra: Record<string, EventPropertyValue> = {};
    for (const key in props) {
      if (key === event.value || event.labels.includes(key)) continue;
      if (!event.properties.has(key)) {
        this.#reject(name, 'unknown_property', `property "${key}" is not declared`);
        return;
      }
      const v = props[key];
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        this.#reject(name, 'invalid_property', `property "${key}" must be a string, number or boolean`);
        return;
      }
      extra[key] = this.#deps.redactKeys.has(key.toLowerCase()) ? REDACTED : v;
    }

    this.#seriesFor(key, name, labels).add(value);

    const { logger, dispatcher } = this.#deps;
    const ctx = context.active();
    const request = getRequestContext(ctx);
    const spanContext = trace.getSpanContext(ctx);
    const all: Record<string, EventPropertyValue> = { ...labelValues, ...extra };
    if (event.value !== undefined && value !== undefined) all[event.value] = value;
    logger.info({ event: name, properties: all }, 'business event');

    const span = trace.getSpan(ctx);
    if (span?.isRecording()) span.addEvent(name, all);
    if (event.funnels.length > 0 && request?.rootSpan?.isRecording()) {
      for (const funnel of event.funnels) request.rootSpan.setAttribute(`periscope.funnel.${funnel}`, name);
    }

    dispatcher?.push({
      name,
      time: Date.now(),
      labels: labelValues,
      value,
      properties: extra,
      correlationId: request?.correlationId,
      requestId: request?.requestId,
      userId: request?.userId,
      traceId: spanContext?.traceId,
      spanId: spanContext?.spanId,
    } satisfies TrackedEvent);
  }
}
