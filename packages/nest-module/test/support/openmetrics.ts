import { type PageSample, pageSamples } from '../../../sdk/test/support/parse-metrics.js';

/** One sample of an OpenMetrics page, with its exemplar if any. */
export type Sample = PageSample;

/** Parses a whole OpenMetrics (or Prometheus text) page with the SDK tests' strict parser. */
export const parseOpenMetrics = pageSamples;

/** The samples named `name` whose labels include every pair of `labels`. */
export function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
