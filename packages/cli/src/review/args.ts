import { parseArgs } from 'node:util';
import { PeriscopeError } from '@periscope/sdk';

/** Where the baseline window sits: the same length just before the incident window, or the same time an offset earlier. */
export type Baseline = { kind: 'before' } | { kind: 'offset'; seconds: number; text: string };

/** Everything `periscope review` was asked to do, validated. Times are Unix seconds. */
export interface ReviewOptions {
  prometheus: string;
  tempo?: string;
  loki?: string;
  grafana?: string;
  from: number;
  to: number;
  /** Services (the `service` label) to review; empty reviews all. */
  services: string[];
  baseline: Baseline;
  /** Report file; the SVG charts are written beside it. Stdout when absent. */
  out?: string;
  json: boolean;
  /** Query step in seconds; derived from the scrape interval and window when absent. */
  step?: number;
  /** A Periscope config module whose `funnels` are reviewed (else funnels are read from the recording rules' series). */
  config?: string;
  /** How many routes get a timeline, exemplars and charts. */
  top: number;
  /** Per-request timeout of every backend call. */
  timeoutMs: number;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90s`, `30m`, `1h`, `1d`, `1w` in seconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  return match ? Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number) : undefined;
}

/**
 * A point in time as Unix seconds: RFC 3339 (`2026-11-29T02:00:00Z`), Unix
 * seconds (`1795917600`), `now`, or relative to now (`now-30m`, `now-1h`).
 */
export function parseTime(text: string, nowSeconds: number): number | undefined {
  const value = text.trim();
  if (value === 'now') return nowSeconds;
  const relative = /^now-(.+)$/.exec(value);
  if (relative) {
    const seconds = parseDuration(relative[1] as string);
    return seconds === undefined ? undefined : nowSeconds - seconds;
  }
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value);
  // RFC 3339 needs a date, a time and a zone; Date.parse alone would accept "2026" or local times.
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function invalid(option: string, message: string): PeriscopeError {
  return new PeriscopeError('PERISCOPE_INVALID_OPTION', `${option}: ${message}`);
}

function url(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    throw invalid(option, `"${raw}" is not an http(s) URL, e.g. http://127.0.0.1:9090`);
  }
}

/**
 * `periscope review --prometheus URL [--tempo URL] [--loki URL] [--grafana URL]
 * --from T [--to T] [--service S]... [--baseline before|1h|1d|1w] [--out file]
 * [--json] [--step 15s] [--config file] [--top 5] [--timeout 10s]`.
 * Mistakes are `PeriscopeError`s (`PERISCOPE_INVALID_OPTION`) naming the flag.
 */
export function parseReviewArgs(argv: readonly string[], nowSeconds = Date.now() / 1000): ReviewOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw invalid('arguments', (error as Error).message);
  }
  const prometheus = url('--prometheus', values.prometheus);
  if (!prometheus) throw invalid('--prometheus', 'is required: the Prometheus base URL, e.g. --prometheus http://127.0.0.1:9090');
  if (!values.from) throw invalid('--from', 'is required: RFC 3339, Unix seconds or now-30m');
  const from = parseTime(values.from, nowSeconds);
  if (from === undefined)
    throw invalid('--from', `"${values.from}" is not a time: use RFC 3339 (2026-11-29T02:00:00Z), Unix seconds or now-30m`);
  const toText = values.to ?? 'now';
  const to = parseTime(toText, nowSeconds);
  if (to === undefined) throw invalid('--to', `"${toText}" is not a time: use RFC 3339 (2026-11-29T02:30:00Z), Unix seconds or now`);
  if (to <= from) {
    throw invalid('--to', `${new Date(to * 1000).toISOString()} is not after --from ${new Date(from * 1000).toISOString()}`);
  }

  let baseline: Baseline = { kind: 'before' };
  if (values.baseline !== undefined && values.baseline !== 'before') {
    const seconds = parseDuration(values.baseline);
    if (seconds === undefined || seconds <= 0)
      throw invalid('--baseline', `"${values.baseline}": expected before, or an offset such as 1h, 1d or 1w`);
    if (seconds < to - from) {
      throw invalid(
        '--baseline',
        `the offset ${values.baseline} is shorter than the window (${Math.round(to - from)} s): the windows would overlap`,
      );
    }
    baseline = { kind: 'offset', seconds, text: values.baseline };
  }

  let step: number | undefined;
  if (values.step !== undefined) {
    step = parseDuration(values.step);
    if (step === undefined || step < 1) throw invalid('--step', `"${values.step}": expected a duration of at least 1s, e.g. 15s`);
  }
  const top = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 50) throw invalid('--top', `"${values.top}": expected a whole number from 1 to 50`);
  const timeout = parseDuration(values.timeout ?? '10s');
  if (timeout === undefined || timeout <= 0) throw invalid('--timeout', `"${values.timeout}": expected a duration such as 10s`);

  const services = (values.service ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  for (const service of services) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(service)) throw invalid('--service', `"${service}": expected a service name (letters, digits, _ . : -)`);
  }

  return {
    prometheus,
    tempo: url('--tempo', values.tempo),
    loki: url('--loki', values.loki),
    grafana: url('--grafana', values.grafana),
    from,
    to,
    services,
    baseline,
    out: values.out,
    json: values.json ?? false,
    step,
    config: values.config,
    top,
    timeoutMs: timeout * 1000,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      prometheus: { type: 'string' },
      tempo: { type: 'string' },
      loki: { type: 'string' },
      grafana: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      service: { type: 'string', multiple: true },
      baseline: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      step: { type: 'string' },
      config: { type: 'string' },
      top: { type: 'string' },
      timeout: { type: 'string' },
    },
  });
}
