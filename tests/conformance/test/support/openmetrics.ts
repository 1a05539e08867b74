/** One sample line of an OpenMetrics page, with its exemplar when it has one. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: Record<string, string>;
}

// name{labels} value [timestamp] [# {exemplar labels} value [timestamp]]
const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*?)\})?\s+(\S+)(?:\s+\S+)?(?:\s+#\s+\{(.*?)\}\s+\S+(?:\s+\S+)?)?$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const match of text.matchAll(LABEL)) labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/** Parses the sample lines of an OpenMetrics page; a line it cannot read is an error, not a skip. */
export function parseOpenMetrics(page: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`unparsable OpenMetrics line: ${line}`);
    const sample: Sample = { name: match[1]!, labels: parseLabels(match[2]), value: Number(match[3]) };
    if (match[4] !== undefined) sample.exemplar = parseLabels(match[4]);
    samples.push(sample);
  }
  return samples;
}

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
