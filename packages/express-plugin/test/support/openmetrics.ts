import { type PageSample, pageSamples } from '../../../sdk/test/support/parse-metrics.js';

/** One sample of an OpenMetrics exposition, with its exemplar when there is one. */
export type Sample = PageSample;

/** Parses a whole OpenMetrics page with the SDK tests' strict parser. */
export const parseOpenMetrics = pageSamples;

/** Samples called `name` whose labels, `le` aside, are exactly `labels`. */
export function series(samples: Sample[], name: string, labels: Record<string, string>): Sample[] {
  const wanted = Object.entries(labels);
  return samples.filter((sample) => {
    if (sample.name !== name) return false;
    const own = Object.entries(sample.labels).filter(([key]) => key !== 'le');
    return own.length === wanted.length && wanted.every(([key, value]) => sample.labels[key] === value);
  });
}

/** Every label set observed in a metric family (`le` removed, deduplicated). */
export function labelSets(samples: Sample[], name: string): Record<string, string>[] {
  const seen = new Map<string, Record<string, string>>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const { le: _le, ...rest } = sample.labels;
    seen.set(JSON.stringify(Object.entries(rest).sort()), rest);
  }
  return [...seen.values()];
}
