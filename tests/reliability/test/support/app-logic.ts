import { context, trace } from '@opentelemetry/api';
import { defineEvents, getRequestContext, type Telemetry } from '@periscope/sdk';

/**
 * What the reliability apps do, framework-free: each framework file only
 * routes to these functions, so the four variants behave identically.
 *
 * - `GET /work/:marker?group=&size=` logs three lines carrying `marker`, with
 *   awaits between them; the first await is a gate that opens only once
 *   `size` requests of `group` have all arrived, so those requests are
 *   certainly in flight together (no timing involved). Answers with the IDs
 *   the handler saw in its own context.
 * - `POST /login?token=` logs the parsed body, headers and query (as a
 *   careless handler would) and tracks `account.logged_in` with a password.
 */

export const RELIABILITY_EVENTS = defineEvents({
  'account.logged_in': { labels: ['method'], properties: ['password', 'apiKey', 'card_number', 'plan'] },
});

/** What `/work/:marker` answers: the IDs visible inside the handler after its last await. */
export interface WorkAnswer {
  marker: string;
  correlationId: string | undefined;
  requestId: string | undefined;
  traceId: string | undefined;
}

const gates = new Map<string, { arrived: number; open: () => void; opened: Promise<void> }>();

/** Resolves once `size` callers with the same `group` have called it. */
function gate(group: string | undefined, size: number): Promise<void> {
  if (!group || !(size > 1)) return Promise.resolve();
  let entry = gates.get(group);
  if (!entry) {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    entry = { arrived: 0, open, opened };
    gates.set(group, entry);
  }
  entry.arrived += 1;
  if (entry.arrived >= size) {
    gates.delete(group);
    entry.open();
  }
  return entry.opened;
}

/** A per-marker pause of 0 to 3 ms, so the requests resume in an order unrelated to their arrival. */
function jitter(marker: string): number {
  let hash = 0;
  for (const char of marker) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 4;
}

export async function work(telemetry: Telemetry, marker: string, query: Record<string, unknown>): Promise<WorkAnswer> {
  telemetry.logger.info({ marker, step: 1 }, 'work started');
  await gate(typeof query.group === 'string' ? query.group : undefined, Number(query.size));
  telemetry.logger.info({ marker, step: 2 }, 'work resumed');
  await new Promise((resolve) => setTimeout(resolve, jitter(marker)));
  await new Promise((resolve) => setImmediate(resolve));
  telemetry.logger.info({ marker, step: 3 }, 'work done');
  const request = getRequestContext(context.active());
  return {
    marker,
    correlationId: request?.correlationId,
    requestId: request?.requestId,
    traceId: trace.getSpanContext(context.active())?.traceId,
  };
}

export async function login(telemetry: Telemetry, body: unknown, headers: unknown, query: unknown): Promise<{ ok: true }> {
  telemetry.logger.info({ body, headers, query }, 'login attempt');
  await new Promise((resolve) => setImmediate(resolve));
  const credentials = (body ?? {}) as Record<string, string>;
  (telemetry as unknown as Telemetry<typeof RELIABILITY_EVENTS>).track('account.logged_in', {
    method: 'password',
    password: credentials.password,
    apiKey: credentials.apiKey,
    card_number: credentials.card_number,
    plan: 'pro',
  });
  return { ok: true };
}
