/**
 * @periscope/express: Periscope middleware for Express 4 and 5. Traces,
 * RED metrics, access logs and correlation IDs for every request, through
 * `app.use(periscope(telemetry))`.
 */

export type { PeriscopeErrorMiddleware } from './error-middleware.js';
export { periscopeErrors } from './error-middleware.js';
export type { PeriscopeMiddleware } from './middleware.js';
export { periscope } from './middleware.js';
export type { ExpressRequestLike, PeriscopeExpressOptions } from './options.js';
