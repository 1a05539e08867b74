import { parseDuration, UsageError } from './usage-error.js';

/** One `--fault` flag: added latency or an error ratio on one service. */
export interface FaultSpec {
  service: string;
  latencyMs?: number;
  errorRatio?: number;
  /** The flag as written, for messages. */
  text: string;
}

const SYNTAX = 'expected <service>:latency=<duration> or <service>:errors=<percent>%, e.g. billing:latency=800ms, accounts:errors=30%';

/**
 * Parses `billing:latency=800ms` or `accounts:errors=30%`. `services` lists
 * the names faults may target; anything else is a {@link UsageError} naming
 * the flag and what was wrong.
 */
export function parseFaultSpec(text: string, services: readonly string[]): FaultSpec {
  const flag = `--fault ${text}`;
  const match = /^([a-z][a-z0-9-]*):([a-z]+)=(.+)$/.exec(text.trim());
  if (!match) throw new UsageError(flag, SYNTAX);
  const [, service, kind, value] = match as unknown as [string, string, string, string];
  if (!services.includes(service)) throw new UsageError(flag, `unknown service "${service}" (known: ${services.join(', ')})`);
  if (kind === 'latency') {
    const latencyMs = parseDuration(flag, value);
    if (latencyMs > 60_000) throw new UsageError(flag, 'latency must be at most 60s');
    return { service, latencyMs, text };
  }
  if (kind === 'errors') {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
    if (!percent || Number(percent[1]) > 100) throw new UsageError(flag, `"${value}" is not a percentage between 0% and 100%`);
    return { service, errorRatio: Number(percent[1]) / 100, text };
  }
  throw new UsageError(flag, `unknown fault "${kind}" (${SYNTAX})`);
}

/** Several flags on one service merge into the one body its `/_faults` endpoint takes. */
export function faultsByService(specs: readonly FaultSpec[]): Map<string, { latencyMs: number; errorRatio: number }> {
  const merged = new Map<string, { latencyMs: number; errorRatio: number }>();
  for (const spec of specs) {
    const current = merged.get(spec.service) ?? { latencyMs: 0, errorRatio: 0 };
    merged.set(spec.service, {
      latencyMs: spec.latencyMs ?? current.latencyMs,
      errorRatio: spec.errorRatio ?? current.errorRatio,
    });
  }
  return merged;
}
