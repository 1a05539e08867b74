import { PeriscopeError } from '../errors.js';

/** One business event: which properties become metric labels, which number is summed, what else it carries. */
export interface EventDefinition {
  /** Properties that become labels of `business_events_total`. Low-cardinality only: never user IDs or emails. */
  readonly labels?: readonly string[];
  /** The numeric property summed into `business_event_value_total` (e.g. `amount_usd`). */
  readonly value?: string;
  /** Other properties the event may carry: they go to the log line and the span event, never to metrics. */
  readonly properties?: readonly string[];
  /** Allowed values per label; anything else is counted as `__other__`. Labels without a list use the cardinality guard. */
  readonly allowed?: { readonly [label: string]: readonly string[] };
  /** What the event means, for people reading dashboards. */
  readonly description?: string;
}

/** The events a service may track, by name (`'user.signed_up'`). */
export type EventCatalog = { readonly [name: string]: EventDefinition };

type LabelsOf<D> = D extends { readonly labels: readonly (infer L extends string)[] } ? L : never;
type ValueOf<D> = D extends { readonly value: infer V extends string } ? V : never;
type PropertiesOf<D> = D extends { readonly properties: readonly (infer P extends string)[] } ? P : never;

/** A property value that can be logged and put on a span. */
export type EventPropertyValue = string | number | boolean;

/**
 * What `track(name, properties)` takes for one event: every label (a string),
 * the value when the event has one (a number), and optionally its declared
 * properties. Anything else is a compile error.
 */
export type EventProperties<D> = { readonly [K in LabelsOf<D>]: string } & { readonly [K in ValueOf<D>]: number } & {
  readonly [K in PropertiesOf<D>]?: EventPropertyValue;
};

/** Label names that identify people; refused at definition time, as types and at run time. */
type PersonalLabel = 'user_id' | 'userId' | 'email' | 'user_email' | 'userEmail' | 'ip' | 'ip_address' | 'phone' | 'session_id';

/** Turns a catalog with a personal label into a type error at the `defineEvents` call. */
export type CheckedCatalog<C extends EventCatalog> = {
  readonly [N in keyof C]: LabelsOf<C[N]> & PersonalLabel extends never
    ? C[N]
    : { labels: 'user IDs and emails must never be metric labels' };
};

const PERSONAL_LABEL = /(^|_)(user_?id|userid|e_?mail|ip|ip_?address|phone|session_?id)$/i;
const EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['event', 'le', 'quantile', '__name__']);

const invalid = (message: string): never => {
  throw new PeriscopeError('PERISCOPE_INVALID_EVENT', message);
};

/**
 * Declares the business events a service tracks. The catalog is checked once,
 * here: names, label names (no personal data, no reserved names), the value
 * property and allowed-value lists. The returned catalog types `track()`.
 *
 * @example
 * const events = defineEvents({
 *   'user.signed_up': { labels: ['plan', 'channel'], properties: ['referrer'] },
 *   'checkout.completed': { labels: ['plan'], value: 'amount_usd' },
 * });
 */
export function defineEvents<const C extends EventCatalog>(catalog: C & CheckedCatalog<C>): C {
  if (typeof catalog !== 'object' || catalog === null) invalid('defineEvents() takes an object of event definitions');
  for (const [name, definition] of Object.entries(catalog as EventCatalog)) {
    if (!EVENT_NAME.test(name)) invalid(`event "${name}": names are lower-case words joined by dots, e.g. "user.signed_up"`);
    if (typeof definition !== 'object' || definition === null) invalid(`event "${name}" must be an object`);
    const labels = definition.labels ?? [];
    const properties = definition.properties ?? [];
    const seen = new Set<string>();
    for (const key of [...labels, ...properties, ...(definition.value ? [definition.value] : [])]) {
      if (typeof key !== 'string' || !PROPERTY_NAME.test(key)) invalid(`event "${name}": "${String(key)}" is not a valid property name`);
      if (seen.has(key)) invalid(`event "${name}": "${key}" is declared twice`);
      if (RESERVED.has(key)) invalid(`event "${name}": "${key}" is reserved`);
      seen.add(key);
    }
    for (const label of labels) {
      if (PERSONAL_LABEL.test(label)) {
        invalid(
          `event "${name}": label "${label}" identifies a person; user IDs and emails must never be metric labels (declare it in properties)`,
        );
      }
    }
    for (const [label, values] of Object.entries(definition.allowed ?? {})) {
      if (!labels.includes(label)) invalid(`event "${name}": allowed.${label} is not one of its labels`);
      if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
        invalid(`event "${name}": allowed.${label} must be a non-empty list of strings`);
      }
    }
  }
  return catalog;
}

/** Funnels: ordered lists of event names, e.g. `{ signup: ['landing.viewed', 'user.signed_up'] }`. */
export type FunnelDefinitions<C extends EventCatalog = EventCatalog> = { readonly [funnel: string]: readonly (keyof C & string)[] };

/** Checks funnels against the catalog at start-up. */
export function validateFunnels(funnels: FunnelDefinitions, catalog: EventCatalog): void {
  for (const [funnel, steps] of Object.entries(funnels)) {
    if (!PROPERTY_NAME.test(funnel)) invalid(`funnel "${funnel}": names are identifiers, e.g. "signup"`);
    if (!Array.isArray(steps) || steps.length < 2) invalid(`funnel "${funnel}" needs at least two steps`);
    for (const step of steps) {
      if (!Object.hasOwn(catalog, step)) invalid(`funnel "${funnel}": step "${step}" is not an event of the catalog`);
    }
    if (new Set(steps).size !== steps.length) invalid(`funnel "${funnel}" repeats a step`);
  }
}
