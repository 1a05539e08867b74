import { PeriscopeError } from '@periscope/sdk';

/** `boundaries` option of {@link PeriscopeModule.forRoot}. */
export interface BoundariesOptions {
  /**
   * Treat every Nest module as a module boundary, with no code change: calls
   * into a module's controllers (from HTTP) and into its providers' methods
   * from another module's code are recorded as `telemetry.boundary()` calls
   * (span `<module>.<Class>.<method>`, `module_calls_total`,
   * `module_call_duration_seconds`). Calls inside one module are not.
   * @default false
   */
  auto?: boolean;
  /** Nest module class names (e.g. `'ConfigModule'`) left out. @default [] */
  exclude?: readonly string[];
}

/** Start-up check of `boundaries`; a bad value fails loudly, naming the option. */
export function validateBoundaries(value: unknown, where: string): BoundariesOptions | undefined {
  if (value === undefined) return undefined;
  const fail = (message: string): never => {
    throw new PeriscopeError('PERISCOPE_INVALID_OPTION', `${where}: ${message}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('boundaries must be an object like { auto: true }');
  const { auto, exclude } = value as BoundariesOptions;
  if (auto !== undefined && typeof auto !== 'boolean') fail(`boundaries.auto must be a boolean, got ${typeof auto}`);
  if (exclude !== undefined && (!Array.isArray(exclude) || exclude.some((name) => typeof name !== 'string' || name === ''))) {
    fail('boundaries.exclude must be an array of Nest module class names');
  }
  return value as BoundariesOptions;
}
