import type { HttpObservation } from '@periscope/sdk';

/** What the route tracker (`route.ts`) offers the rest of the plugin: the matched template, once known. */
export interface RouteLabel {
  readonly label: string | undefined;
}

/** What the plugin keeps about one request between its middleware and completion. */
export interface RequestState {
  /** Set once the middleware has started it, right after storing the state. */
  observation: HttpObservation | undefined;
  /** The request's route tracker, set by `RouteTracker.attach`. */
  route: RouteLabel | undefined;
}

/**
 * Per-request state, on the request object under this symbol, so it
 * disappears with it. Shared by every `periscope()` instance in the process:
 * that is how a second registration on the same app notices the request is
 * already observed. Not in a WeakMap: V8's young-generation GC keeps every
 * WeakMap value alive, and the state reaches the response and so the whole
 * request, which would then be promoted to the old heap on every scavenge.
 */
const kState = Symbol('periscope.express.state');

type StatefulRequest = { [kState]?: RequestState };

/** The state `periscope()` stored for `req`, if it observed it. */
export function getRequestState(req: object): RequestState | undefined {
  return (req as StatefulRequest)[kState];
}

/** True once a `periscope()` instance has started observing `req`. */
export function isObserved(req: object): boolean {
  return (req as StatefulRequest)[kState] !== undefined;
}

/** Stores (or replaces) the state of `req`. */
export function setRequestState(req: object, state: RequestState): void {
  (req as StatefulRequest)[kState] = state;
}
