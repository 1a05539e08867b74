/** Small statistics over rounds and over latency samples. */

/** Nearest-rank percentile of an ascending-sorted array; NaN when empty. */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Median of the finite values; NaN when there are none. */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median, min and max of the finite values. */
export function summarize(values) {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    n: finite.length,
  };
}

/**
 * Ratios paired by round (each round's cell over the same round's bare cell),
 * then summarised: interleaving makes the same-round pair the fairest comparison.
 */
export function pairedRatio(values, bareValues) {
  const ratios = [];
  for (let i = 0; i < Math.min(values.length, bareValues.length); i++) {
    if (Number.isFinite(values[i]) && Number.isFinite(bareValues[i]) && bareValues[i] > 0) ratios.push(values[i] / bareValues[i]);
  }
  return summarize(ratios);
}
