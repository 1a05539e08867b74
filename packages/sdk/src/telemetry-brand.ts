import { PeriscopeError } from './errors.js';

/**
 * Marks objects made by `createTelemetry()`. A registered symbol, not a
 * class, so the check holds when an app loads both the ESM and the CJS build.
 */
export const TELEMETRY_BRAND: unique symbol = Symbol.for('periscope.telemetry') as never;

/** True when `value` is a telemetry handle from `createTelemetry()`. */
export function isTelemetry(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TELEMETRY_BRAND] === true;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object that is not one' : typeof value;
}

/**
 * For plugins: fails at start-up, with `PERISCOPE_MISSING_TELEMETRY`, when
 * given anything but a telemetry handle.
 */
export function assertTelemetry(value: unknown, caller: string): void {
  if (!isTelemetry(value)) {
    throw new PeriscopeError(
      'PERISCOPE_MISSING_TELEMETRY',
      `${caller} needs the object returned by createTelemetry() from @periscope/sdk, got ${describe(value)}`,
    );
  }
}
