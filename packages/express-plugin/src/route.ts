import type { ExpressRequestLike } from './options.js';
import { getRequestState, type RequestState, type RouteLabel } from './request-state.js';

/** One router level the request is inside: the mount path as received and as a template. */
interface Frame {
  readonly raw: string;
  readonly template: string;
}

/**
 * The tracker of a request, found through its Periscope state (one property
 * on the request, not two). Only `attach` sets `state.route`, so it is a
 * `RouteTracker` whenever it is set.
 */
const trackerOf = (req: object): RouteTracker | undefined => getRequestState(req)?.route as RouteTracker | undefined;

/**
 * Learns the route template of one request as Express routes it, for both
 * Express 4 and 5, without patching Express: the request gets its own
 * `baseUrl` and `route` accessors, which store what Express assigns and note
 * the template at that moment.
 *
 * - `baseUrl` grows when a router mounted with `app.use(path, router)` is
 *   entered. Express sets `req.params` to the mount's parameters just before,
 *   so `/orgs/42` becomes `/orgs/:orgId` here; otherwise a parameterised
 *   mount path would put raw IDs in a metric label.
 * - `route` is assigned when a route matches; the label is then the current
 *   mount template plus the route's path. Taking it at that moment (not at
 *   completion) matters: an error forwarded with `next(err)` leaves the
 *   router, which restores `baseUrl` to the parent's before the response ends.
 */
export class RouteTracker implements RouteLabel {
  #baseUrl: unknown;
  #route: unknown;
  #frames: Frame[];
  #label: string | undefined;
  readonly #req: ExpressRequestLike;
  readonly #onError: (error: unknown) => void;

  private constructor(req: ExpressRequestLike, onError: (error: unknown) => void) {
    this.#req = req;
    this.#onError = onError;
    this.#baseUrl = req.baseUrl;
    this.#route = req.route;
    const start = typeof req.baseUrl === 'string' ? req.baseUrl : '';
    this.#frames = [{ raw: start, template: start }];
  }

  /**
   * Installs the accessors on `req` and keeps the tracker in `state`, where
   * they find it. Throws if the request cannot take them (the caller guards).
   * The accessor functions are shared by every request (they find the tracker
   * through `this`), so no closures are allocated per request.
   */
  static attach(req: ExpressRequestLike, state: RequestState, onError: (error: unknown) => void): RouteTracker {
    const tracker = new RouteTracker(req, onError);
    state.route = tracker;
    Object.defineProperty(req, 'baseUrl', BASE_URL);
    Object.defineProperty(req, 'route', ROUTE);
    return tracker;
  }

  /** What `req.baseUrl` reads. */
  static baseUrlOf(req: object): unknown {
    const tracker = trackerOf(req);
    return tracker ? tracker.#baseUrl : undefined;
  }

  /** Express assigns `req.baseUrl`. */
  static setBaseUrl(req: object, value: unknown): void {
    const tracker = trackerOf(req);
    if (!tracker) return;
    tracker.#baseUrl = value;
    tracker.#guard(() => tracker.#enter(value));
  }

  /** What `req.route` reads. */
  static routeOf(req: object): unknown {
    const tracker = trackerOf(req);
    return tracker ? tracker.#route : undefined;
  }

  /** Express assigns `req.route`. */
  static setRoute(req: object, value: unknown): void {
    const tracker = trackerOf(req);
    if (!tracker) return;
    tracker.#route = value;
    tracker.#guard(() => tracker.#matched(value));
  }

  /** The template of the last route that matched, or undefined when none did. */
  get label(): string | undefined {
    return this.#label;
  }

  // A setter that threw would break Express itself: store first, then guard.
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#onError(error);
    }
  }

  #enter(value: unknown): void {
    const raw = typeof value === 'string' ? value : '';
    const frames = this.#frames;
    // Leaving a router restores the parent's baseUrl: drop the levels below it.
    for (let i = frames.length - 1; i >= 0; i--) {
      const frame = frames[i]!;
      if (frame.raw === raw) {
        frames.length = i + 1;
        return;
      }
      if (raw.startsWith(frame.raw)) {
        frames.length = i + 1;
        frames.push({ raw, template: frame.template + templateOf(raw.slice(frame.raw.length), this.#req.params) });
        return;
      }
    }
    frames.length = 0;
    frames.push({ raw, template: templateOf(raw, this.#req.params) });
  }

  #matched(route: unknown): void {
    const path = (route as { path?: unknown } | null | undefined)?.path;
    const label = routePathLabel(path);
    if (label === undefined) return;
    this.#label = this.#frames[this.#frames.length - 1]!.template + label;
  }
}

/**
 * A route's `path` as a label: strings as written, a RegExp as `String(regex)`,
 * an array as its members joined by `,` (which member matched is not known).
 */
export function routePathLabel(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (Array.isArray(path)) {
    const parts = path.map(routePathLabel).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? parts.join(',') : undefined;
  }
  return undefined;
}

/** Replaces each path segment that is the value of a mount parameter by `:name`. */
function templateOf(segmentPath: string, params: unknown): string {
  if (typeof params !== 'object' || params === null) return segmentPath;
  const entries = Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
  if (entries.length === 0) return segmentPath;
  return segmentPath
    .split('/')
    .map((segment) => {
      if (segment === '') return segment;
      const decoded = safeDecode(segment);
      const hit = entries.find(([, value]) => value === segment || value === decoded);
      return hit ? `:${hit[0]}` : segment;
    })
    .join('/');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// A setter that threw would break Express itself: the tracker stores first, then guards.
const BASE_URL: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: object) {
    return RouteTracker.baseUrlOf(this);
  },
  set(this: object, value: unknown) {
    RouteTracker.setBaseUrl(this, value);
  },
};

const ROUTE: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: object) {
    return RouteTracker.routeOf(this);
  },
  set(this: object, value: unknown) {
    RouteTracker.setRoute(this, value);
  },
};
