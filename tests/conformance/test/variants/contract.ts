import { defineEvents, type Telemetry } from '@periscope/sdk';

/**
 * What every server variant implements, natively in its framework: the same
 * routes, the same exception classes and bodies, and the same log lines, so
 * one table of expectations fits them all.
 *
 * - `GET /users/:id`       200 `{ id }`, after logging {@link USER_LOADED} behind an await
 * - `GET /boom`            throws {@link BoomError} synchronously: 500
 * - `GET /async-boom`      rejects with {@link AsyncBoomError} after an await: 500
 * - `GET /bad`             400, the framework's idiomatic way of answering one
 * - `GET /bad-thrown`      400, raised by throwing ({@link BadInputError}; Nest: `BadRequestException`)
 * - `GET /slow`            logs {@link SLOW_WAITING}, never answers, ends quietly when the client goes away
 * - `GET /stream`          200 text/plain, {@link STREAM_CHUNKS} written one by one
 * - `GET /api/items/:id`   200 `{ id }`, from a mounted router / prefixed plugin / controller path
 * - `GET /checkout`        200 `{ ok: true }`, after tracking {@link trackCheckout}'s business events behind an await
 */
export interface Variant {
  readonly name: string;
  start(telemetry: Telemetry): Promise<RunningServer>;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown by `GET /boom`; its class name is the expected `error_type`. */
export class BoomError extends Error {}
/** Rejected by `GET /async-boom`. */
export class AsyncBoomError extends Error {}
/** Thrown by `GET /bad-thrown` in Express and Fastify, which answer with the status the error carries. */
export class BadInputError extends Error {
  readonly status = 400;
  readonly statusCode = 400;
}

/** Logged by `GET /users/:id` after an await: proves the request's context survives it. */
export const USER_LOADED = 'user loaded';
/** Logged by `GET /slow` once the handler holds the request: the client may now abort. */
export const SLOW_WAITING = 'slow request waiting';
/** The body of `GET /stream`, one write per chunk. */
export const STREAM_CHUNKS = ['first\n', 'second\n', 'third\n'];

/** The business events of the shop the variants serve. */
export const SHOP_EVENTS = defineEvents({
  'checkout.started': { labels: ['plan'] },
  'checkout.completed': { labels: ['plan'], value: 'amount_usd', properties: ['coupon'] },
});

/** What `GET /checkout` does in every framework: two events, one with a value. */
export async function trackCheckout(telemetry: Telemetry): Promise<void> {
  const shop = telemetry as unknown as Telemetry<typeof SHOP_EVENTS>;
  shop.track('checkout.started', { plan: 'pro' });
  await laterTick();
  shop.track('checkout.completed', { plan: 'pro', amount_usd: 42.5, coupon: 'WINTER' });
}

/** The awaits a handler goes through before logging, so the log line is written in a later tick. */
export async function laterTick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.resolve();
}

/** Resolves when the response is closed: answered, or (for `/slow`) abandoned by the client. */
export function closed(res: { once(event: 'close', listener: () => void): unknown; closed?: boolean }): Promise<void> {
  if (res.closed) return Promise.resolve();
  return new Promise((resolve) => res.once('close', () => resolve()));
}
