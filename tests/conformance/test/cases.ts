import type { Observed } from './observed.js';
import { outcome } from './outcome.js';
import { SLOW_WAITING, STREAM_CHUNKS, USER_LOADED } from './variants/contract.js';

/** One request, and what every framework must be observed to do with it. */
export interface Case {
  name: string;
  request: {
    path: string;
    headers?: Record<string, string>;
    /** Destroy the request once the app logged this line (the handler holds it), before any response. */
    abortOnLog?: string;
  };
  expected: Observed;
}

const user42 = {
  span: 'GET /users/:id',
  spanStatus: 'UNSET',
  route: '/users/:id',
  routeLabel: '/users/:id',
  path: '/users/42',
  status: 200,
  msg: 'request completed',
  level: 'info',
  body: '{"id":"42"}',
  appLog: [USER_LOADED],
} satisfies Parameters<typeof outcome>[0];

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

/** The table: every row is run against every variant, with the same expectation. */
export const cases: Case[] = [
  {
    name: 'a 200 is one series, one SERVER span and one access line, and the handler log after an await carries its IDs',
    request: { path: '/users/42' },
    expected: outcome(user42),
  },
  {
    name: 'route parameters are labelled by the template; the path keeps the raw segment and drops the query',
    request: { path: '/users/alice%40example.com?expand=1' },
    expected: outcome({ ...user42, path: '/users/alice%40example.com', body: '{"id":"alice@example.com"}' }),
  },
  {
    name: 'a 404 is labelled http_route="unmatched" and the span is named by the method alone, without http.route',
    request: { path: '/no/such/page/123' },
    expected: outcome({
      span: 'GET',
      spanStatus: 'UNSET',
      routeLabel: 'unmatched',
      path: '/no/such/page/123',
      status: 404,
      msg: 'request completed',
      level: 'warn',
    }),
  },
  {
    name: 'a synchronous throw answered 500 is labelled with the exception class and sets the span status to ERROR',
    request: { path: '/boom' },
    expected: outcome({
      span: 'GET /boom',
      spanStatus: 'ERROR',
      route: '/boom',
      routeLabel: '/boom',
      path: '/boom',
      status: 500,
      errorType: 'BoomError',
      exception: 'BoomError',
      msg: 'request failed',
      level: 'error',
    }),
  },
  {
    name: 'a rejected promise answered 500 is labelled with the exception class and sets the span status to ERROR',
    request: { path: '/async-boom' },
    expected: outcome({
      span: 'GET /async-boom',
      spanStatus: 'ERROR',
      route: '/async-boom',
      routeLabel: '/async-boom',
      path: '/async-boom',
      status: 500,
      errorType: 'AsyncBoomError',
      exception: 'AsyncBoomError',
      msg: 'request failed',
      level: 'error',
    }),
  },
  {
    name: 'a 4xx leaves the span status UNSET and sets no error_type, however the framework signalled it',
    request: { path: '/bad' },
    expected: outcome({
      span: 'GET /bad',
      spanStatus: 'UNSET',
      route: '/bad',
      routeLabel: '/bad',
      path: '/bad',
      status: 400,
      msg: 'request completed',
      level: 'warn',
    }),
  },
  {
    name: 'a 4xx raised by throwing is the client error: no error_type, no exception recorded, span status UNSET',
    request: { path: '/bad-thrown' },
    expected: outcome({
      span: 'GET /bad-thrown',
      spanStatus: 'UNSET',
      route: '/bad-thrown',
      routeLabel: '/bad-thrown',
      path: '/bad-thrown',
      status: 400,
      msg: 'request completed',
      level: 'warn',
    }),
  },
  {
    name: 'a client abort mid-request is recorded once, as error_type="aborted" without a status code',
    request: { path: '/slow', abortOnLog: SLOW_WAITING },
    expected: outcome({
      span: 'GET /slow',
      spanStatus: 'ERROR',
      route: '/slow',
      routeLabel: '/slow',
      path: '/slow',
      errorType: 'aborted',
      msg: 'request aborted',
      level: 'info',
      appLog: [SLOW_WAITING],
    }),
  },
  {
    name: 'a streamed response is recorded once, as a 200, with every chunk delivered',
    request: { path: '/stream' },
    expected: outcome({
      span: 'GET /stream',
      spanStatus: 'UNSET',
      route: '/stream',
      routeLabel: '/stream',
      path: '/stream',
      status: 200,
      msg: 'request completed',
      level: 'info',
      body: STREAM_CHUNKS.join(''),
      chunked: true,
    }),
  },
  {
    name: 'a route of a mounted router / prefixed plugin is labelled with its full template',
    request: { path: '/api/items/7' },
    expected: outcome({
      span: 'GET /api/items/:id',
      spanStatus: 'UNSET',
      route: '/api/items/:id',
      routeLabel: '/api/items/:id',
      path: '/api/items/7',
      status: 200,
      msg: 'request completed',
      level: 'info',
      body: '{"id":"7"}',
    }),
  },
  {
    name: 'a valid inbound x-correlation-id is echoed and carried by the span and every log line',
    request: { path: '/users/42', headers: { 'x-correlation-id': 'order-7f3a_2024.01:retry-1' } },
    expected: outcome({ ...user42, correlation: 'echoed' }),
  },
  {
    name: 'an x-correlation-id with spaces is replaced by a new UUID and counted as invalid_characters',
    request: { path: '/users/42', headers: { 'x-correlation-id': 'has spaces' } },
    expected: outcome({ ...user42, selfCounters: { 'periscope_correlation_id_rejected_total{reason="invalid_characters"}': 1 } }),
  },
  {
    name: 'an x-correlation-id longer than 128 characters is replaced by a new UUID and counted as too_long',
    request: { path: '/users/42', headers: { 'x-correlation-id': 'a'.repeat(200) } },
    expected: outcome({ ...user42, selfCounters: { 'periscope_correlation_id_rejected_total{reason="too_long"}': 1 } }),
  },
  {
    name: 'without x-correlation-id, a valid inbound x-request-id is taken as the correlation ID and echoed',
    request: { path: '/users/42', headers: { 'x-request-id': 'upstream-req-9' } },
    expected: outcome({ ...user42, correlation: 'echoed' }),
  },
  {
    name: 'an inbound traceparent is continued: same trace ID, the inbound span as parent, exemplar and logs on that trace',
    request: { path: '/users/42', headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } },
    expected: outcome({ ...user42, trace: 'inbound' }),
  },
];
