/**
 * @periscope/fastify: the Periscope plugin for Fastify 5.
 *
 * Importing it also types `request.correlationId` and `request.requestId`.
 */

export type { PeriscopeFastifyOptions } from './options.js';
export { periscope } from './plugin.js';
