import { parseArgs } from 'node:util';

export interface BoundariesOptions {
  source: { kind: 'metrics'; url: string } | { kind: 'prometheus'; url: string; window: string };
  mermaid: string | undefined;
  dot: string | undefined;
  json: boolean;
  timeoutMs: number;
}

/** A bad command line: printed with the usage, exit code 2. */
export class BoundariesUsageError extends Error {}

export const BOUNDARIES_USAGE = `  periscope boundaries --metrics <url> | --prometheus <url> [--window 15m] [--mermaid <file.mmd>] [--dot <file.dot>] [--json]`;

const WINDOW = /^\d+(ms|s|m|h|d|w|y)$/;

function checkUrl(flag: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return value;
  } catch {
    throw new BoundariesUsageError(`--${flag} must be an http(s) URL, got "${value}"`);
  }
}

export function parseBoundariesArgs(argv: readonly string[]): BoundariesOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        metrics: { type: 'string' },
        prometheus: { type: 'string' },
        window: { type: 'string' },
        mermaid: { type: 'string' },
        dot: { type: 'string' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new BoundariesUsageError((error as Error).message);
  }
  const metrics = values.metrics as string | undefined;
  const prometheus = values.prometheus as string | undefined;
  if ((metrics === undefined) === (prometheus === undefined)) {
    throw new BoundariesUsageError('give exactly one of --metrics <url> (a live /metrics page) or --prometheus <url>');
  }
  const window = (values.window as string | undefined) ?? '15m';
  if (!WINDOW.test(window)) throw new BoundariesUsageError(`--window must be a Prometheus duration like 15m or 1h, got "${window}"`);
  if (metrics !== undefined && values.window !== undefined) {
    throw new BoundariesUsageError('--window applies to --prometheus only: a /metrics page holds totals since the process started');
  }
  const timeout = Number((values.timeout as string | undefined) ?? 5000);
  if (!Number.isInteger(timeout) || timeout <= 0)
    throw new BoundariesUsageError(`--timeout must be milliseconds > 0, got "${values.timeout}"`);
  return {
    source:
      metrics !== undefined
        ? { kind: 'metrics', url: checkUrl('metrics', metrics) }
        : { kind: 'prometheus', url: checkUrl('prometheus', prometheus as string), window },
    mermaid: values.mermaid as string | undefined,
    dot: values.dot as string | undefined,
    json: values.json === true,
    timeoutMs: timeout,
  };
}
