import type { IncomingMessage } from 'node:http';

/** The part of a Fastify request the route is read from. */
export interface FastifyRouteSource {
  readonly routeOptions?: { readonly url?: unknown };
}

/** Express 5 leaves the matched `Route` (and the router's `baseUrl`) on the request. */
interface ExpressRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/**
 * The route template the platform matched, e.g. `/api/users/:id`, or
 * undefined when no route matched (the core labels that `unmatched`).
 *
 * Nest registers every controller route on the platform with its full path
 * (global prefix, version, controller and method paths), so the platform's
 * own match is the template Nest routed by, and it is known even when a
 * guard or pipe rejected the request before any interceptor ran. It is never
 * the raw URL.
 */
export function routeTemplate(platform: string, req: IncomingMessage, fastifyRequest: FastifyRouteSource | undefined): string | undefined {
  if (platform === 'fastify') {
    const url = fastifyRequest?.routeOptions?.url;
    return typeof url === 'string' && url.length > 0 ? url : undefined;
  }
  if (platform === 'express') {
    const { route, baseUrl } = req as ExpressRequest;
    // A string path only: RegExp and array paths (not produced by Nest) have no template.
    if (typeof route?.path !== 'string') return undefined;
    return `${typeof baseUrl === 'string' ? baseUrl : ''}${route.path}`;
  }
  return undefined;
}
