/** The label value that replaces new values once a metric is full. */
export const OVERFLOW_VALUE = '__overflow__';

/**
 * Caps the label sets of each metric. The first `limit` distinct sets pass
 * through; after that a new set has every value replaced by `__overflow__`
 * (sets already seen keep counting), so a client cannot grow the series count
 * past `limit + 1` per metric, whatever it sends.
 */
export class CardinalityGuard {
  readonly #limit: number;
  readonly #seen = new Map<string, Set<string>>();
  readonly #onOverflow: (metric: string) => void;

  constructor(limit: number, onOverflow: (metric: string) => void) {
    this.#limit = limit;
    this.#onOverflow = onOverflow;
  }

  /**
   * @param scope the budget to count against (default: the metric); e.g. one per business event.
   * @param keep labels never folded (already bounded, like the event name).
   */
  admit<L extends Record<string, string | undefined>>(metric: string, labels: L, scope: string = metric, keep?: ReadonlySet<string>): L {
    let seen = this.#seen.get(scope);
    if (!seen) {
      seen = new Set();
      this.#seen.set(scope, seen);
    }
    let key = '';
    for (const name in labels) key += `${name}\u0000${labels[name] ?? ''}\u0001`;
    if (seen.has(key)) return labels;
    if (seen.size < this.#limit) {
      seen.add(key);
      return labels;
    }
    this.#onOverflow(metric);
    const folded = {} as Record<string, string | undefined>;
    for (const name in labels) folded[name] = labels[name] === undefined || keep?.has(name) ? labels[name] : OVERFLOW_VALUE;
    return folded as L;
  }
}
