import { getJson, type Outcome } from './http.js';

/** One series of an instant query: labels and a value (NaN when Prometheus answered NaN). */
export interface InstantSample {
  labels: Record<string, string>;
  value: number;
}

/** One series of a range query: labels and `[unixSeconds, value]` points. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

/** One exemplar series as `/api/v1/query_exemplars` returns it. */
export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

/** A call that was made, for progress and for the report's list of what is missing. */
export interface QueryRecord {
  backend: 'prometheus' | 'tempo' | 'loki';
  what: string;
  ok: boolean;
  error?: string;
}

/** The read-only Prometheus HTTP API calls the review makes. */
export interface PrometheusClient {
  instant(what: string, promql: string, time: number): Promise<Outcome<InstantSample[]>>;
  range(what: string, promql: string, start: number, end: number, step: number): Promise<Outcome<RangeSeries[]>>;
  /** An instant query of a range selector: the raw samples. */
  matrix(what: string, promql: string, time: number): Promise<Outcome<RangeSeries[]>>;
  exemplars(what: string, promql: string, start: number, end: number): Promise<Outcome<ExemplarSeries[]>>;
  /** Command-line flags (`/api/v1/status/flags`), to tell "no exemplar storage" from "no exemplars". */
  flags(): Promise<Outcome<Record<string, string>>>;
}

type ApiBody = { status?: string; data?: unknown; error?: string; errorType?: string };

/**
 * A Prometheus client over `fetch`. Every call resolves (never rejects) with
 * data or an error message, and is reported to `onQuery` for progress.
 */
export function createPrometheusClient(baseUrl: string, timeoutMs: number, onQuery: (record: QueryRecord) => void): PrometheusClient {
  const call = async <T>(what: string, path: string, params: Record<string, string>): Promise<Outcome<T>> => {
    const outcome = await getJson(`${baseUrl}${path}?${new URLSearchParams(params)}`, timeoutMs);
    let result: Outcome<T>;
    if (!outcome.ok) {
      result = outcome;
    } else {
      const body = outcome.data as ApiBody;
      result =
        body.status === 'success'
          ? { ok: true, data: body.data as T }
          : { ok: false, error: `Prometheus ${body.errorType ?? 'error'}: ${body.error ?? 'no detail'}`, unreachable: false };
    }
    onQuery({ backend: 'prometheus', what, ok: result.ok, ...(!result.ok && { error: result.error }) });
    return result;
  };
  const number = (raw: string): number => (raw === 'NaN' ? Number.NaN : Number(raw));
  return {
    async instant(what, promql, time) {
      const outcome = await call<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(what, '/api/v1/query', {
        query: promql,
        time: String(time),
      });
      return outcome.ok ? { ok: true, data: outcome.data.result.map((r) => ({ labels: r.metric, value: number(r.value[1]) })) } : outcome;
    },
    async range(what, promql, start, end, step) {
      const outcome = await call<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
        what,
        '/api/v1/query_range',
        { query: promql, start: String(start), end: String(end), step: String(step) },
      );
      return outcome.ok
        ? { ok: true, data: outcome.data.result.map((r) => ({ labels: r.metric, points: r.values.map(([t, v]) => [t, number(v)]) })) }
        : outcome;
    },
    async matrix(what, promql, time) {
      const outcome = await call<{ result: Array<{ metric: Record<string, string>; values?: Array<[number, string]> }> }>(
        what,
        '/api/v1/query',
        {
          query: promql,
          time: String(time),
        },
      );
      return outcome.ok
        ? {
            ok: true,
            data: outcome.data.result.map((r) => ({ labels: r.metric, points: (r.values ?? []).map(([t, v]) => [t, number(v)]) })),
          }
        : outcome;
    },
    exemplars(what, promql, start, end) {
      return call<ExemplarSeries[]>(what, '/api/v1/query_exemplars', { query: promql, start: String(start), end: String(end) }).then(
        (outcome) => (outcome.ok ? { ok: true, data: outcome.data ?? [] } : outcome),
      );
    },
    flags() {
      return call<Record<string, string>>('flags', '/api/v1/status/flags', {});
    },
  };
}

/** A label matcher value, quoted for PromQL. */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** `service=~"a|b"` (escaped), or an empty string for all services. */
export function serviceMatcher(services: readonly string[]): string {
  if (services.length === 0) return '';
  const alternatives = services.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return `service=~${promString(alternatives)}`;
}
