import { parseExposition } from '../top/exposition.js';
import { CALLS, DURATION_SUM, type MetricPoint } from './graph.js';

const ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

/** A source that could not be read; the CLI prints it and exits 1. */
export class SourceError extends Error {}

async function get(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new SourceError(`${url}: ${reason}`);
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).slice(0, 300);
    throw new SourceError(`${url}: HTTP ${response.status}${body ? ` ${body}` : ''}`);
  }
  return response;
}

/** The boundary points of one live `/metrics` page: totals since the process started. */
export async function fromMetricsPage(url: string, timeoutMs: number): Promise<MetricPoint[]> {
  const response = await get(url, { headers: { accept: ACCEPT } }, timeoutMs);
  return parseExposition(await response.text()).filter((s) => s.name === CALLS || s.name === DURATION_SUM);
}

/** The PromQL the Prometheus source runs; the dashboard's panels use the same shape. */
export function boundaryQueries(window: string): { calls: string; seconds: string } {
  return {
    calls: `sum by (from_module, to_module, operation, outcome) (increase(${CALLS}[${window}]))`,
    seconds: `sum by (from_module, to_module) (increase(${DURATION_SUM}[${window}]))`,
  };
}

interface VectorResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/** The boundary points over the last `window` from a Prometheus server (increases, so fractional counts are possible). */
export async function fromPrometheus(baseUrl: string, window: string, timeoutMs: number): Promise<MetricPoint[]> {
  const queries = boundaryQueries(window);
  const run = async (name: string, promql: string): Promise<MetricPoint[]> => {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    url.searchParams.set('query', promql);
    const response = await get(url.href, {}, timeoutMs);
    const body = (await response.json()) as VectorResponse;
    if (body.status !== 'success' || body.data?.resultType !== 'vector') {
      throw new SourceError(`${baseUrl}: query failed: ${body.error ?? body.status}`);
    }
    return body.data.result.map((r) => ({ name, labels: r.metric, value: Number(r.value[1]) }));
  };
  const [calls, seconds] = await Promise.all([run(CALLS, queries.calls), run(DURATION_SUM, queries.seconds)]);
  return [...calls, ...seconds];
}
