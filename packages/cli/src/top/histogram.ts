/**
 * Quantiles from cumulative histogram buckets, the way PromQL's
 * `histogram_quantile` computes them: find the bucket holding the rank and
 * interpolate linearly inside it; a rank in the `+Inf` bucket answers the
 * highest finite bound.
 */
export type Buckets = Map<number, number>;

export function bucketQuantile(q: number, buckets: Buckets): number | undefined {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (sorted.length < 2 || total <= 0 || sorted.at(-1)?.[0] !== Number.POSITIVE_INFINITY) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** Bucket counts observed between two scrapes (`after - before`); a reset (counter went down) starts from zero. */
export function bucketDelta(after: Buckets, before: Buckets | undefined): Buckets {
  const delta: Buckets = new Map();
  const reset = before && [...after].some(([le, count]) => count < (before.get(le) ?? 0));
  for (const [le, count] of after) delta.set(le, reset || !before ? count : count - (before.get(le) ?? 0));
  return delta;
}

/** Adds `more` into `into`, bound by bound (merging the status-code series of one route). */
export function addBuckets(into: Buckets, more: Buckets): void {
  for (const [le, count] of more) into.set(le, (into.get(le) ?? 0) + count);
}
