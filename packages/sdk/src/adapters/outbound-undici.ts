import { subscribe } from 'node:diagnostics_channel';
import { ClientInstrumentation, type ClientObservation } from '../core/client-observation.js';

/** The part of undici's Request that its diagnostics channels hand us. */
interface UndiciRequest {
  origin?: string | URL;
  path?: string;
  method?: string;
  addHeader(name: string, value: string): unknown;
  /** The observation started for it, on the request rather than in a WeakMap (whose values V8's young GC keeps alive). */
  [kObservation]?: ClientObservation;
}

const kObservation = Symbol('periscope.client-observation');
let installed = false;

/**
 * Propagation for `fetch` and undici through undici's diagnostics channels:
 * `undici:request:create` fires before the headers are written, so headers
 * can still be added, and costs nothing while no one subscribes. Node's
 * global fetch and the undici package publish on the same channels.
 */
export function installUndiciPropagation(): void {
  if (installed) return;
  installed = true;
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const client = ClientInstrumentation.active();
    if (!client || !request.origin) return;
    const observation = client.start({ method: request.method ?? 'GET', url: new URL(request.path ?? '/', request.origin) });
    if (!observation) return;
    for (const [name, value] of Object.entries(observation.headers)) request.addHeader(name, value);
    request[kObservation] = observation;
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    // The span covers the time to the response headers; the body is the app's to read or not.
    request[kObservation]?.finish({ statusCode: response.statusCode });
    request[kObservation] = undefined;
  });
  subscribe('undici:request:error', (message) => {
    const { request, error } = message as { request: UndiciRequest; error: unknown };
    request[kObservation]?.finish({ error });
    request[kObservation] = undefined;
  });
}
