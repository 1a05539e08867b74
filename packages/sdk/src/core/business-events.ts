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
  readonly labelSet: ReadonlySet<string>;
  /** Per label: its name is a redaction key, so the log line and span event show it redacted. */
  readonly redactedLabels: readonly boolean[];
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
      const labels = definition.labels ?? [];
      this.#events.set(name, {
        labels,
        labelSet: new Set(labels),
        redactedLabels: labels.map((label) => deps.redactKeys.has(label.toLowerCase())),
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

  /**
   * The bound series of a label set, looked up by the caller first; on a miss
   * the label set is built, passed through the cardinality guard and cached
   * (a folded set shares its event's `__overflow__` series).
   */
  #seriesFor(key: string, name: string, props: Record<string, unknown>, event: CompiledEvent): EventSeries {
    const { metrics, cardinality } = this.#deps;
    const labels: Record<string, string> = { event: name };
    for (const label of event.labels) {
      const raw = props[label] as string;
      const allowed = event.allowed.get(label);
      labels[label] = allowed ? (allowed.has(raw) ? raw : OTHER_VALUE) : raw.slice(0, MAX_LABEL_LENGTH);
    }
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

    // One object for the log line and the span event: labels, then the other
    // properties, then the value. The metric's label set is built only the
    // first time a combination is seen (see #seriesFor).
    const all: Record<string, EventPropertyValue> = {};
    const { labels } = event;
    let key = name;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] as string;
      const raw = props[label];
      if (typeof raw !== 'string') {
        this.#reject(name, 'invalid_label', `label "${label}" must be a string`);
        return;
      }
      const allowed = event.allowed.get(label);
      const clean = allowed ? (allowed.has(raw) ? raw : OTHER_VALUE) : raw.length > MAX_LABEL_LENGTH ? raw.slice(0, MAX_LABEL_LENGTH) : raw;
      all[label] = event.redactedLabels[i] ? REDACTED : clean;
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
    for (const prop in props) {
      if (prop === event.value || event.labelSet.has(prop)) continue;
      if (!event.properties.has(prop)) {
        this.#reject(name, 'unknown_property', `property "${prop}" is not declared`);
        return;
      }
      const v = props[prop];
      if (v === undefined) continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        this.#reject(name, 'invalid_property', `property "${prop}" must be a string, number or boolean`);
        return;
      }
      all[prop] = this.#deps.redactKeys.has(prop.toLowerCase()) ? REDACTED : v;
    }

    (this.#series.get(key) ?? this.#seriesFor(key, name, props, event)).add(value);
    if (value !== undefined) all[event.value as string] = value;

    const { logger, dispatcher } = this.#deps;
    const ctx = context.active();
    logger.info({ event: name, properties: all }, 'business event');

    const span = trace.getSpan(ctx);
    if (span?.isRecording()) span.addEvent(name, all);
    const request = event.funnels.length > 0 || dispatcher ? getRequestContext(ctx) : undefined;
    if (event.funnels.length > 0 && request?.rootSpan?.isRecording()) {
      for (const funnel of event.funnels) request.rootSpan.setAttribute(`periscope.funnel.${funnel}`, name);
    }

    if (dispatcher) {
      // The sink gets labels and other properties apart (rare path: only with a sink configured).
      const labelValues: Record<string, string> = {};
      const extra: Record<string, EventPropertyValue> = {};
      for (const prop in all) {
        if (prop === event.value) continue;
        if (event.labelSet.has(prop)) labelValues[prop] = all[prop] as string;
        else extra[prop] = all[prop] as EventPropertyValue;
      }
      const spanContext = span?.spanContext();
      dispatcher.push({
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
}
