/**
 * @periscope/nest: Periscope for NestJS 11 on the Express and Fastify
 * platforms. Import `PeriscopeModule.forRoot({ telemetry })` once.
 */

export { boundaryNameOf } from './boundaries.js';
export type { BoundariesOptions } from './boundaries-options.js';
export { InjectTelemetry } from './inject-telemetry.decorator.js';
export { PeriscopeLogger } from './logger.service.js';
export type { PeriscopeModuleAsyncOptions, PeriscopeModuleOptions } from './options.js';
export { PeriscopeModule } from './periscope.module.js';
export { PERISCOPE_TELEMETRY } from './tokens.js';
