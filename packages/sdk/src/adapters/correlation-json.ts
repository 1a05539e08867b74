import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { getRequestContext, logCorrelationFields } from '../core/request-context.js';

/** A request's correlation fields as JSON, kept while its active span and user stay the same. */
interface CachedIds {
  spanId: string | undefined;
  userId: string | undefined;
  json: string;
}

/**
 * The correlation fields of `ctx` (trace, span, correlation, request and user
 * IDs) as a JSON fragment, `,"trace_id":"…",…`, or `''` when there are none.
 * Inside a request the fragment is serialised once and kept on the request
 * (its `logMemo`) until the active span or the user changes, so the second and
 * later lines of a request pay a lookup and a comparison, not a serialisation.
 */
export function correlationJson(ctx: Context): string {
  if (ctx === ROOT_CONTEXT) return '';
  const request = getRequestContext(ctx);
  if (!request) return fieldsJson(logCorrelationFields(ctx));
  const spanId = trace.getSpanContext(ctx)?.spanId;
  const cached = request.logMemo as CachedIds | undefined;
  if (cached !== undefined && cached.spanId === spanId && cached.userId === request.userId) return cached.json;
  const json = fieldsJson(logCorrelationFields(ctx));
  request.logMemo = { spanId, userId: request.userId, json } satisfies CachedIds;
  return json;
}

function fieldsJson(fields: object): string {
  const json = JSON.stringify(fields);
  return json.length > 2 ? `,${json.slice(1, -1)}` : '';
}
