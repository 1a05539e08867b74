/** One sample line of an OpenMetrics exposition, with its exemplar when there is one. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number };
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})?\s+(\S+)(?:\s+\S+)?(?:\s+#\s+\{(.*?)\}\s+(\S+).*)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const match of text.matchAll(LABEL)) labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/** Parses the sample lines of an OpenMetrics page; throws on a line it cannot read. */
export function parseOpenMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`unparseable OpenMetrics line: ${line}`);
    const sample: Sample = { name: match[1]!, labels: parseLabels(match[2]), value: Number(match[3]) };
    if (match[4] !== undefined) sample.exemplar = { labels: parseLabels(match[4]), value: Number(match[5]) };
    samples.push(sample);
  }
  return samples;
}

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
