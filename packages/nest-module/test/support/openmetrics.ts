/** One sample line of an OpenMetrics page, with its exemplar if any. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number };
}

const LINE = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)(?:\s+\S+)?(?:\s+#\s+(\{[^}]*\})\s+(\S+)(?:\s+\S+)?)?$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const match of text.matchAll(LABEL)) labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/** Parses the sample lines of an OpenMetrics (or Prometheus text) page; comments are skipped. */
export function parseOpenMetrics(page: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const sample: Sample = { name: match[1]!, labels: parseLabels(match[2]), value: Number(match[3]) };
    if (match[4]) sample.exemplar = { labels: parseLabels(match[4]), value: Number(match[5]) };
    samples.push(sample);
  }
  return samples;
}

/** The samples named `name` whose labels include every pair of `labels`. */
export function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
