import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { ClientInstrumentation } from '../core/client-observation.js';

type RequestFn = typeof http.request;

let installed = false;

/**
 * Propagation for `node:http`/`https`. Node 20's `http.client.request.start`
 * channel fires after the headers are fixed, so this is the one place where
 * Periscope wraps a function: `request` and `get` of both modules, once per
 * process. The wrapper adds headers with `setHeader` before anything is
 * written, and does nothing at all outside an observed request.
 */
export function installNodeHttpPropagation(): void {
  if (installed) return;
  installed = true;
  for (const [module, protocol] of [
    [http, 'http:'],
    [https, 'https:'],
  ] as const) {
    const original = module.request as RequestFn;
    const wrapped = function request(this: unknown, ...args: unknown[]): ClientRequest {
      const req = (original as (...a: unknown[]) => ClientRequest).apply(this, args);
      const client = ClientInstrumentation.active();
      if (client) observe(client, req, protocol);
      return req;
    } as RequestFn;
    module.request = wrapped;
    // http.get calls the module's own request binding, so it is rebuilt on top of ours.
    module.get = function get(this: unknown, ...args: unknown[]): ClientRequest {
      const req = (wrapped as (...a: unknown[]) => ClientRequest).apply(this, args);
      req.end();
      return req;
    } as typeof http.get;
  }
  // ESM named imports (`import { request } from 'node:http'`) see the wrappers too.
  syncBuiltinESMExports();
}

function observe(client: ClientInstrumentation, req: ClientRequest, defaultProtocol: string): void {
  if (req.headersSent) return;
  const host = req.host ?? 'localhost';
  const protocol = req.protocol ?? defaultProtocol;
  const port = (req as unknown as { socketPath?: string; agent?: { defaultPort?: number } }).agent?.defaultPort;
  const hostHeader = req.getHeader('host');
  const authority = typeof hostHeader === 'string' ? hostHeader : port ? `${host}:${port}` : host;
  const observation = client.start({ method: req.method, url: `${protocol}//${authority}${req.path}` });
  if (!observation) return;
  for (const [name, value] of Object.entries(observation.headers)) req.setHeader(name, value);
  req.once('response', (res: IncomingMessage) => observation.finish({ statusCode: res.statusCode }));
  req.once('error', (error) => observation.finish({ error }));
  req.once('close', () => observation.finish({ error: req.destroyed && !req.writableFinished ? new Error('request aborted') : undefined }));
}
