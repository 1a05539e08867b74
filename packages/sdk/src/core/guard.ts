import type { SelfTelemetryPort } from './ports.js';

/** Where Periscope's own warnings go; a subset of pino's API. */
export interface DiagnosticSink {
  warn(fields: object, message: string): void;
}

/**
 * The one place where Periscope's own failures stop. Every per-request step
 * and every user hook runs through it: an exception is counted
 * (`periscope_internal_errors_total{where}`), logged once per `where`, and
 * replaced by the fallback. Like OpenTelemetry's global error handler, the
 * guard itself cannot throw.
 */
export class Guard {
  readonly #self: SelfTelemetryPort;
  readonly #diag: DiagnosticSink;
  readonly #warned = new Set<string>();

  constructor(self: SelfTelemetryPort, diag: DiagnosticSink) {
    this.#self = self;
    this.#diag = diag;
  }

  run<T>(where: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (error) {
      this.report(where, error);
      return fallback;
    }
  }

  /** Counts and logs (once per `where`) a failure caught elsewhere. */
  report(where: string, error: unknown): void {
    try {
      this.#self.internalError(where);
      if (this.#warned.has(where)) return;
      this.#warned.add(where);
      // The diagnostic logger binds `component: "periscope"` itself.
      this.#diag.warn({ where, err: error }, `periscope: ${where} failed; further failures here are only counted`);
    } catch {
      // Nothing left to tell: the diagnostics themselves failed.
    }
  }
}
