/**
 * Fault injection for the demo's "incidents": added latency and a ratio of
 * failed requests, changed at run time through `POST /_faults` (what the
 * traffic generator's `--fault` calls). Framework-neutral: each service wires
 * `FaultState.apply()` into its own request pipeline.
 */
export interface Faults {
  /** Added to every request, in milliseconds. */
  latencyMs: number;
  /** Share of requests answered 500, between 0 and 1. */
  errorRatio: number;
}

/** What an injected error looks like to the framework's error handling. */
export class InjectedFaultError extends Error {
  readonly statusCode = 500;
  constructor() {
    super('injected fault');
    this.name = 'InjectedFaultError';
  }
}

export const FAULTS_PATH = '/_faults';

export class FaultState {
  #faults: Faults = { latencyMs: 0, errorRatio: 0 };

  get current(): Faults {
    return { ...this.#faults };
  }

  /** Replaces the faults from a request body; throws a message naming the bad field. */
  set(body: unknown): Faults {
    const input = (body ?? {}) as Record<string, unknown>;
    const latencyMs = Number(input.latencyMs ?? 0);
    const errorRatio = Number(input.errorRatio ?? 0);
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000) throw new RangeError('latencyMs must be 0..60000');
    if (!Number.isFinite(errorRatio) || errorRatio < 0 || errorRatio > 1) throw new RangeError('errorRatio must be 0..1');
    this.#faults = { latencyMs, errorRatio };
    return this.current;
  }

  /** Waits the injected latency, then throws {@link InjectedFaultError} for the injected share of requests. */
  async apply(): Promise<void> {
    const { latencyMs, errorRatio } = this.#faults;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (errorRatio > 0 && Math.random() < errorRatio) throw new InjectedFaultError();
  }
}
