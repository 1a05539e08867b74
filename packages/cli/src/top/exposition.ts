/**
 * A forgiving reader for the two exposition formats `/metrics` answers
 * (Prometheus text 0.0.4 and OpenMetrics 1.0 with exemplars). `top` shows
 * what it can: a line it cannot read is skipped, never fatal.
 */
export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** Seconds since the epoch, when the page gives one. */
  timestamp: number | undefined;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar: Exemplar | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*?\})?\s+(\S+)(?:\s+(\S+))?(?:\s*#\s*(\{.*?\})\s+(\S+)(?:\s+(\S+))?)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labelText, valueText, , exemplarLabels, exemplarValue, exemplarTime] = match;
    const value = parseValue(valueText as string);
    if (Number.isNaN(value)) continue;
    samples.push({
      name: name as string,
      labels: parseLabels(labelText),
      value,
      exemplar:
        exemplarLabels && exemplarValue
          ? {
              labels: parseLabels(exemplarLabels),
              value: parseValue(exemplarValue),
              timestamp: exemplarTime ? Number(exemplarTime) : undefined,
            }
          : undefined,
    });
  }
  return samples;
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const [, key, raw] of text.matchAll(LABEL)) {
    labels[key as string] = (raw as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}
