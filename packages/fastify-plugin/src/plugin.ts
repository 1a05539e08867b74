import { PeriscopeError } from '@periscope/sdk';
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import { createHooks } from './hooks.js';
import { type PeriscopeFastifyOptions, resolveTelemetry } from './options.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's correlation ID: the valid inbound `x-correlation-id`, else a new UUID. Set by `@periscope/fastify`. */
    correlationId: string;
    /** This request's own ID, echoed in `x-request-id`. Set by `@periscope/fastify`. */
    requestId: string;
  }
}

/** Marks an instance (and, through fastify-plugin, the whole app) as instrumented. */
const kRegistered = Symbol.for('periscope.fastify.registered');

const plugin: FastifyPluginCallback<PeriscopeFastifyOptions> = (fastify: FastifyInstance, options, done) => {
  try {
    const telemetry = resolveTelemetry(options);
    if (fastify.hasDecorator(kRegistered)) {
      throw new PeriscopeError(
        'PERISCOPE_ALREADY_REGISTERED',
        '@periscope/fastify is already registered on this Fastify instance; register it once, on the root instance',
      );
    }
    fastify.decorate(kRegistered, true);
    // Primitive defaults: Fastify 5 refuses reference types, and a fixed shape
    // keeps the request object's hidden class stable.
    fastify.decorateRequest('correlationId', '');
    fastify.decorateRequest('requestId', '');

    const hooks = createHooks(telemetry);
    fastify.addHook('onRequest', hooks.onRequest);
    fastify.addHook('onError', hooks.onError);
    // The app closes; the telemetry is the caller's, so flush it but do not shut it down.
    fastify.addHook('onClose', (_instance, next) => {
      telemetry.forceFlush().then(
        () => next(),
        () => next(),
      );
    });
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/**
 * The Periscope plugin for Fastify 5: correlation and request IDs, one span,
 * RED metrics and one access-log line per request, with the request's context
 * carried through every later hook and the handler.
 *
 * Wrapped with `fastify-plugin`, so its hooks cover the whole app: register it
 * on the root instance, before your routes and other hooks.
 *
 * @example
 * const telemetry = createTelemetry({ serviceName: 'checkout' });
 * await app.register(periscope, { telemetry });
 *
 * @throws PeriscopeError `PERISCOPE_MISSING_TELEMETRY` (registration rejects) when `telemetry` is missing or not one.
 * @throws PeriscopeError `PERISCOPE_ALREADY_REGISTERED` (registration rejects) when registered twice on one app.
 */
export const periscope = fp(plugin, { name: '@periscope/fastify', fastify: '5.x' });
