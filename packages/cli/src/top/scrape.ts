import type { Scrape } from './analyze.js';
import { parseExposition } from './exposition.js';

/** A service to watch: a display name and its `/metrics` URL. */
export interface Target {
  service: string;
  url: string;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

/** Reads one `/metrics` page (OpenMetrics, for the exemplars); a failure becomes the scrape's `error`. */
export async function scrape(target: Target, timeoutMs: number): Promise<Scrape> {
  const at = Date.now();
  try {
    const response = await fetch(target.url, { headers: { accept: ACCEPT }, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return { ...target, at, error: `HTTP ${response.status}` };
    }
    return { ...target, at, samples: parseExposition(await response.text()) };
  } catch (error) {
    return { ...target, at, error: describe(error) };
  }
}

export function scrapeAll(targets: readonly Target[], timeoutMs: number): Promise<Scrape[]> {
  return Promise.all(targets.map((t) => scrape(t, timeoutMs)));
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
