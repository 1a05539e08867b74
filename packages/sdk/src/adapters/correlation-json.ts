import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { getRequestContext, type LogCorrelationFields, logCorrelationFields } from '../core/request-context.js';
import { jsonString } from './json-text.js';

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

/** `,"trace_id":…` in the order `logCorrelationFields` sets them: what `JSON.stringify` of them would give, without the object walk. */
function fieldsJson(fields: LogCorrelationFields): string {
  let json = '';
  if (fields.trace_id !== undefined) json += `,"trace_id":${jsonString(fields.trace_id)}`;
  if (fields.span_id !== undefined) json += `,"span_id":${jsonString(fields.span_id)}`;
  if (fields.trace_flags !== undefined) json += `,"trace_flags":${jsonString(fields.trace_flags)}`;
  if (fields.correlation_id !== undefined) json += `,"correlation_id":${jsonString(fields.correlation_id)}`;
  if (fields.request_id !== undefined) json += `,"request_id":${jsonString(fields.request_id)}`;
  if (fields.user_id !== undefined) json += `,"user_id":${jsonString(fields.user_id)}`;
  return json;
}
