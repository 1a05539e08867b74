import type { Context } from '@opentelemetry/api';

const DELETED = Symbol('periscope.context.deleted');

/**
 * An OpenTelemetry `Context` as a chain of single entries over a parent
 * context. OpenTelemetry's own context copies its whole `Map` on every
 * `setValue` (a request sets three or four values, each boundary two more);
 * here `setValue` is one small object and `getValue` walks the few links up
 * to the parent. Behaviour is the API's: immutable, last write wins,
 * `deleteValue` hides the parent's value.
 */
export class LinkedContext implements Context {
  readonly #parent: Context;
  readonly #key: symbol | undefined;
  readonly #value: unknown;

  private constructor(parent: Context, key: symbol | undefined, value: unknown) {
    this.#parent = parent;
    this.#key = key;
    this.#value = value;
  }

  /** `parent` itself if it already is one, else a chain starting on it. */
  static over(parent: Context): Context {
    return parent instanceof LinkedContext ? parent : new LinkedContext(parent, undefined, undefined);
  }

  getValue(key: symbol): unknown {
    let node: Context = this;
    while (node instanceof LinkedContext) {
      if (node.#key === key) return node.#value === DELETED ? undefined : node.#value;
      node = node.#parent;
    }
    return node.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, DELETED);
  }
}
