/**
 * Injection token of the {@link Telemetry} instance the module was given.
 * Prefer {@link InjectTelemetry}; use the token with `moduleRef.get()` or in
 * a factory provider's `inject` list.
 *
 * @example
 * constructor(@Inject(PERISCOPE_TELEMETRY) private readonly telemetry: Telemetry) {}
 */
export const PERISCOPE_TELEMETRY: unique symbol = Symbol('PERISCOPE_TELEMETRY');

/** Injection token of the resolved {@link PeriscopeModuleOptions}. */
export const PERISCOPE_MODULE_OPTIONS: unique symbol = Symbol('PERISCOPE_MODULE_OPTIONS');
