import { type IncomingHttpHeaders, request } from 'node:http';
import { poll } from './poll.js';

/** What the client saw of a response it read to the end. */
export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** `GET url` over node:http on a fresh connection, body read in full. */
export function get(url: string, headers: Record<string, string>): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * `GET url`, then destroys the request once `serverHasIt` holds (polled a
 * bounded number of times), before any response. Resolves when the socket is
 * closed; rejects if the server never got the request or answered anyway.
 */
export function getAndAbort(url: string, headers: Record<string, string>, serverHasIt: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      reject(new Error(`the server answered ${res.statusCode} instead of waiting for the client to leave`));
      res.resume();
    });
    // Destroying our own request surfaces as 'socket hang up' / ECONNRESET: expected.
    req.on('error', () => {});
    req.on('close', () => resolve());
    req.end();
    void poll(serverHasIt).then((reached) => {
      if (reached) req.destroy();
      else {
        reject(new Error('the server never started handling the request'));
        req.destroy();
      }
    });
  });
}
