import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * An open-loop load generator: requests are issued at a fixed rate whatever
 * the server does (a slow server makes them queue, and the queueing counts in
 * their latency, so a stall cannot hide), over a fixed number of keep-alive
 * connections, for a fixed count. Latency is measured from each request's
 * issue to the end of its body, in microseconds of `performance.now()`.
 */

export interface LoadOptions {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Path of request `i`. */
  path: (i: number) => string;
  /** Requests per second, issued evenly. */
  rate: number;
  /** Requests in all. */
  count: number;
  /** Keep-alive connections. @default 16 */
  connections?: number;
}

export interface LoadResult {
  /** Requests answered (any status). */
  completed: number;
  /** Answered with 2xx. */
  ok: number;
  /** Status codes other than 2xx, by code. */
  statuses: Record<number, number>;
  /** Transport errors (refused, reset, timeout), by message. */
  errors: Record<string, number>;
  /** Latencies in ms, sorted ascending. */
  latencies: number[];
  /** Seconds from the first issue to the last answer. */
  seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}

/** A load in progress: `stop()` stops issuing (requests already issued still complete). */
export interface RunningLoad {
  stop(): void;
  /** Requests issued so far. */
  issued(): number;
  /** Requests settled so far (answered or failed). */
  settled(): number;
  /** Resolves once issuing has stopped (count reached, or `stop()`) and every issued request has settled. */
  done: Promise<LoadResult>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const pool = new Pool(options.origin, { connections: options.connections ?? 16, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const errors: Record<string, number> = {};
  let ok = 0;
  let settled = 0;
  let stopped = false;
  const pending: Promise<void>[] = [];
  const start = performance.now();

  const issue = (i: number): Promise<void> => {
    const issued = performance.now();
    return pool
      .request({ method: 'GET', path: options.path(i) })
      .then(
        async (response) => {
          await response.body.text();
          latencies.push(performance.now() - issued);
          if (response.statusCode >= 200 && response.statusCode < 300) ok += 1;
          else statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        },
        (error: Error) => {
          const key = (error as { code?: string }).code ?? error.message;
          errors[key] = (errors[key] ?? 0) + 1;
        },
      )
      .finally(() => {
        settled += 1;
      });
  };

  let issued = 0;
  const done = (async () => {
    while (issued < options.count && !stopped) {
      const due = Math.min(options.count, Math.floor(((performance.now() - start) / 1000) * options.rate) + 1);
      while (issued < due) pending.push(issue(issued++));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(pending);
    const seconds = (performance.now() - start) / 1000;
    await pool.close();
    latencies.sort((a, b) => a - b);
    return { completed: latencies.length, ok, statuses, errors, latencies, seconds };
  })();
  return {
    stop: () => {
      stopped = true;
    },
    issued: () => issued,
    settled: () => settled,
    done,
  };
}

/** The `p`-th percentile (0-100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
