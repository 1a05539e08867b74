import { Inject } from '@nestjs/common';
import { PERISCOPE_TELEMETRY } from './tokens.js';

/**
 * Parameter decorator injecting the module's `Telemetry`, e.g.
 * `constructor(@InjectTelemetry() private readonly telemetry: Telemetry) {}`.
 * Shorthand for `@Inject(PERISCOPE_TELEMETRY)`.
 */
export const InjectTelemetry = (): PropertyDecorator & ParameterDecorator => Inject(PERISCOPE_TELEMETRY);
