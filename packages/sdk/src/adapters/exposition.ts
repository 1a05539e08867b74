import type { MetricsRegistry as Registry } from './registry.js';

/** Content types of the two exposition formats a scraper may ask for. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type ExpositionFormat = 'openmetrics' | 'text';

/** Picks the format from a scraper's `Accept` header: Prometheus asks for OpenMetrics, curl gets text. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

interface MetricValue {
  value: number;
  metricName?: string;
  labels?: Record<string, string | number>;
  exemplar?: { labelSet: Record<string, string>; value: number; timestamp?: number } | null;
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
/** HELP text: OpenMetrics also escapes double quotes, the Prometheus text format must not. */
const escapeHelp = (value: string, openMetrics: boolean): string => {
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? escaped.replace(/"/g, '\\"') : escaped;
};

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string | number> | undefined): string {
  if (!labels) return '';
  const parts: string[] = [];
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined) continue;
    parts.push(`${name}="${escapeLabel(typeof value === 'number' ? formatNumber(value) : String(value))}"`);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * Renders a registry in either format. prom-client can only emit exemplars
 * from an OpenMetrics registry and rewrites counter names in place when it
 * does, so Periscope keeps one OpenMetrics registry and writes both formats
 * here from its JSON snapshot.
 */
export async function renderMetrics(registry: Registry, format: ExpositionFormat): Promise<string> {
  const openMetrics = format === 'openmetrics';
  const families = (await registry.getMetricsAsJSON()) as unknown as Array<{
    name: string;
    help: string;
    type: string;
    values: MetricValue[];
  }>;
  const lines: string[] = [];
  for (const family of families) {
    const isCounter = family.type === 'counter';
    const base = isCounter ? family.name.replace(/_total$/, '') : family.name;
    const familyName = isCounter && !openMetrics ? `${base}_total` : base;
    lines.push(`# HELP ${familyName} ${escapeHelp(family.help, openMetrics)}`, `# TYPE ${familyName} ${family.type}`);
    for (const sample of family.values) {
      const name = isCounter ? `${base}_total` : (sample.metricName ?? family.name);
      let line = `${name}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`;
      if (openMetrics && sample.exemplar) {
        const { labelSet, value, timestamp } = sample.exemplar;
        line += ` # ${formatLabels(labelSet) || '{}'} ${formatNumber(value)}${timestamp === undefined ? '' : ` ${timestamp}`}`;
      }
      lines.push(line);
    }
  }
  if (openMetrics) lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
