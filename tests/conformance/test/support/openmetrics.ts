import { type PageSample, pageSamples } from '../../../../packages/sdk/test/support/parse-metrics.js';

/** One sample of an OpenMetrics page, with its exemplar when it has one. */
export type Sample = PageSample;

/** Parses a whole OpenMetrics page with the SDK tests' strict parser; a line it cannot read is an error. */
export const parseOpenMetrics = pageSamples;

/** The labels of a sample without the histogram's `le`. */
export function seriesLabels(sample: Sample): Record<string, string> {
  const { le: _le, ...labels } = sample.labels;
  return labels;
}

/** True when `sample`'s labels, `le` aside, are exactly `labels`. */
export function sameSeries(sample: Sample, labels: Record<string, string>): boolean {
  const own = Object.entries(seriesLabels(sample));
  return own.length === Object.keys(labels).length && own.every(([key, value]) => labels[key] === value);
}
