import type { HttpObservation } from '@periscope/sdk';
import type { RouteTracker } from './route.js';

/** What the plugin keeps about one request between its middleware and completion. */
export interface RequestState {
  readonly observation: HttpObservation;
  readonly route: RouteTracker | undefined;
}

/**
 * Per-request state, keyed by the request object so it disappears with it.
 * Shared by every `periscope()` instance in the process: that is how a second
 * registration on the same app notices the request is already observed.
 */
const states = new WeakMap<object, RequestState>();

/** The state `periscope()` stored for `req`, if it observed it. */
export function getRequestState(req: object): RequestState | undefined {
  return states.get(req);
}

/** True once a `periscope()` instance has started observing `req`. */
export function isObserved(req: object): boolean {
  return states.has(req);
}

/** Stores (or replaces) the state of `req`. */
export function setRequestState(req: object, state: RequestState): void {
  states.set(req, state);
}
