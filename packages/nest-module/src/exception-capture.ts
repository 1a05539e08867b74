import type { ArgumentsHost } from '@nestjs/common';
import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler.js';

/** Sees an exception of an HTTP route on its way to Nest's exception filters. */
export type ExceptionCapture = (exception: unknown, host: ArgumentsHost) => void;

const captures = new Set<ExceptionCapture>();
const kWrapped = Symbol.for('periscope.nest.exceptions-handler');

/**
 * Calls `capture` with every exception an HTTP route (its guards, pipes,
 * interceptors, handler, or a Nest middleware) raises, just before Nest's
 * exception filters answer it; returns the function that stops it.
 *
 * Every such exception passes through `ExceptionsHandler.next()`, which is
 * wrapped once per process: it calls the captures (each guarded), then the
 * original, untouched, so the app's filters produce the same status and body.
 * A global interceptor would see the handler's errors too, but Nest 11 runs
 * every request through an interceptor chain as soon as one exists (two
 * `AsyncResource.bind()`s, `defer`, `mergeAll`): that alone more than
 * doubled the server CPU per request of a Nest app in the benchmark.
 */
export function captureExceptions(capture: ExceptionCapture): () => void {
  wrapOnce();
  captures.add(capture);
  return () => {
    captures.delete(capture);
  };
}

function wrapOnce(): void {
  const prototype = ExceptionsHandler.prototype as ExceptionsHandler & { [kWrapped]?: true };
  if (prototype[kWrapped]) return;
  const original = prototype.next;
  prototype.next = function next(this: ExceptionsHandler, exception: unknown, host: ArgumentsHost): void {
    for (const capture of captures) {
      try {
        capture(exception, host);
      } catch {
        // A capture reports its own failures; nothing may stop the app's exception handling.
      }
    }
    original.call(this, exception as Error, host as Parameters<typeof original>[1]);
  };
  prototype[kWrapped] = true;
}
