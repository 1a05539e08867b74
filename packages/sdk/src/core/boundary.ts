import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { PeriscopeError } from '../errors.js';
import type { Guard } from './guard.js';
import type { SelfTelemetryPort } from './ports.js';
import { getRequestContext } from './request-context.js';
import { errorType, toException } from './semconv.js';

/** `from_module` of a boundary entered straight from an HTTP request handler (no boundary around it yet). */
export const FROM_HTTP = 'http';
/** `from_module` of a boundary entered outside any request and any boundary (start-up, timers, queues). */
export const FROM_NONE = 'none';
/** `operation` label used when `run()` is given an empty or non-string operation. */
const UNKNOWN_OPERATION = 'unknown';

export const METRIC_MODULE_CALLS = 'module_calls_total';
export const METRIC_MODULE_CALL_DURATION = 'module_call_duration_seconds';
const ATTR_MODULE = 'periscope.module';
const ATTR_MODULE_CALLER = 'periscope.module.caller';
const ATTR_MODULE_PATH = 'periscope.module.path';

/** How a boundary call ended: returned (or resolved), or threw (or rejected). */
export type BoundaryOutcome = 'ok' | 'error';

/** Labels of `module_calls_total`; `module_call_duration_seconds` uses `from_module` and `to_module`. */
export type BoundaryCallLabels = {
  from_module: string;
  to_module: string;
  operation: string;
  outcome: BoundaryOutcome;
};

/** Where boundary calls are counted and timed. */
export interface BoundaryMetricsPort {
  callFinished(labels: BoundaryCallLabels, durationSeconds: number): void;
}

export const noopBoundaryMetrics: BoundaryMetricsPort = { callFinished() {} };

/** A legacy (`experimentalDecorators`) method decorator. */
export type LegacyMethodDecorator = (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => PropertyDescriptor;

/**
 * A method decorator that works both as a standard (TC39, TypeScript 5+)
 * decorator and as a legacy `experimentalDecorators` one (NestJS, TypeORM...).
 */
export interface BoundaryMethodDecorator extends LegacyMethodDecorator {
  // biome-ignore lint/suspicious/noExplicitAny: a standard decorator must accept any method signature
  <F extends (this: any, ...args: any[]) => any>(method: F, context: ClassMethodDecoratorContext): F;
}

/** A module of the application, from `telemetry.boundary('billing')`. */
export interface Boundary {
  /** The module's name, as given. */
  readonly module: string;
  /**
   * Runs `fn` as a call into this module: an INTERNAL span `<module>.<operation>`,
   * `module_calls_total{from_module, to_module, operation, outcome}` and
   * `module_call_duration_seconds{from_module, to_module}`. Code inside `fn`
   * (and the async work it starts) runs "in" this module, so boundaries it
   * enters name it as their caller. Returns what `fn` returns, and throws
   * what it throws, unchanged; a returned native promise is followed to
   * settlement for the outcome and duration (the caller gets a promise that
   * settles the same way). When telemetry is disabled `fn` is simply called.
   */
  run<T>(operation: string, fn: () => T): T;
  /**
   * A method decorator doing what `run` does for every call of the method,
   * with `this` and the arguments passed through. `operation` defaults to the
   * method's name. Works as a standard (TC39) and as a legacy decorator.
   * @throws PeriscopeError `PERISCOPE_INVALID_BOUNDARY` at class definition when the operation is empty or not a string.
   */
  operation(operation?: string): BoundaryMethodDecorator;
  /**
   * `run` with a receiver and arguments, as `Reflect.apply` takes them: for
   * framework integrations that wrap existing methods without a closure per call.
   */
  apply<This, A extends unknown[], T>(operation: string, fn: (this: This, ...args: A) => T, thisArg: This, args: A): T;
}

/** What the module code runs in, kept in the OpenTelemetry context. */
interface BoundaryFrame {
  readonly module: string;
  readonly path: string;
  readonly depth: number;
}

const BOUNDARY_FRAME = createContextKey('periscope.boundary');
/** Deep recursion stops growing the path attribute (and its memory) here. */
const MAX_PATH_DEPTH = 32;
const MAX_NAME_LENGTH = 128;

/** The module the code runs in here (inside `boundary.run`), if any. */
export function currentModule(ctx: Context = context.active()): string | undefined {
  return (ctx.getValue(BOUNDARY_FRAME) as BoundaryFrame | undefined)?.module;
}

/** The name of the module calling from here: the current module, else `http` inside a request, else `none`. */
export function callingModule(ctx: Context = context.active()): string {
  const frame = ctx.getValue(BOUNDARY_FRAME) as BoundaryFrame | undefined;
  if (frame) return frame.module;
  return getRequestContext(ctx) ? FROM_HTTP : FROM_NONE;
}

/** Definition-time check of a module or operation name: a coded error naming the bad value. */
function checkBoundaryName(what: 'module' | 'operation', value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    const got = typeof value === 'string' ? 'an empty string' : value === null ? 'null' : typeof value;
    throw new PeriscopeError('PERISCOPE_INVALID_BOUNDARY', `boundary ${what} name must be a non-empty string, got ${got}`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new PeriscopeError(
      'PERISCOPE_INVALID_BOUNDARY',
      `boundary ${what} name must be at most ${MAX_NAME_LENGTH} characters, got ${value.length}`,
    );
  }
  return value;
}

export interface BoundaryRecorderDeps {
  tracer: Tracer;
  metrics: BoundaryMetricsPort;
  self: SelfTelemetryPort;
  guard: Guard;
  /** False when telemetry is disabled: `run` calls the function and nothing else. */
  enabled: boolean;
}

interface StartedCall {
  readonly span: Span;
  readonly ctx: Context;
  readonly labels: Omit<BoundaryCallLabels, 'outcome'>;
  readonly startedAt: number;
}

/**
 * Records calls across module boundaries inside one process. The calling
 * module travels in the OpenTelemetry context (AsyncLocalStorage through the
 * context manager), never in a global, so concurrent requests and async work
 * each keep their own. Periscope's own failures are caught by the guard; the
 * wrapped function's result and exception are the caller's, untouched.
 */
export class BoundaryRecorder {
  readonly #deps: BoundaryRecorderDeps;

  constructor(deps: BoundaryRecorderDeps) {
    this.#deps = deps;
  }

  /** A handle for module `name`; throws `PERISCOPE_INVALID_BOUNDARY` for an empty or non-string name. */
  boundary(name: string): Boundary {
    const module = checkBoundaryName('module', name);
    return {
      module,
      run: (operation, fn) => this.call(module, operation, fn, undefined, []),
      apply: (operation, fn, thisArg, args) => this.call(module, operation, fn, thisArg, args),
      operation: (operation) => this.#decorator(module, operation),
    };
  }

  /**
   * Calls `fn` with `thisArg` and `args` as a call into `module`. The one
   * entry point of `run`, the decorator and framework integrations (Nest).
   */
  // biome-ignore lint/suspicious/noExplicitAny: forwards any function's arguments untouched
  call<T>(module: string, operation: string, fn: (...args: any[]) => T, thisArg: unknown, args: readonly unknown[]): T {
    if (!this.#deps.enabled) return fn.apply(thisArg, args as unknown[]);
    let started: StartedCall | undefined;
    try {
      started = this.#start(module, operation);
    } catch (error) {
      this.#deps.guard.report('boundary.start', error);
    }
    if (!started) return fn.apply(thisArg, args as unknown[]);
    let result: T;
    try {
      result = context.with(started.ctx, fn, thisArg, ...args);
    } catch (error) {
      this.#end(started, 'error', error);
      throw error;
    }
    // Only native promises are followed: calling then() on a foreign thenable may start work (a lazy query builder).
    if (result instanceof Promise && Object.getPrototypeOf(result) === Promise.prototype) {
      const call = started;
      return result.then(
        (value) => {
          this.#end(call, 'ok', undefined);
          return value;
        },
        (error: unknown) => {
          this.#end(call, 'error', error);
          throw error;
        },
      ) as T;
    }
    this.#end(started, 'ok', undefined);
    return result;
  }

  #start(module: string, rawOperation: string): StartedCall {
    let operation = rawOperation;
    if (typeof operation !== 'string' || operation.length === 0) {
      this.#deps.self.invalidInput('boundary_operation');
      operation = UNKNOWN_OPERATION;
    } else if (operation.length > MAX_NAME_LENGTH) {
      operation = operation.slice(0, MAX_NAME_LENGTH);
    }
    const parent = context.active();
    const frame = parent.getValue(BOUNDARY_FRAME) as BoundaryFrame | undefined;
    const from = frame ? frame.module : getRequestContext(parent) ? FROM_HTTP : FROM_NONE;
    let next: BoundaryFrame;
    if (!frame) next = { module, path: `${from}>${module}`, depth: 1 };
    else if (frame.depth >= MAX_PATH_DEPTH) next = { module, path: frame.path, depth: frame.depth };
    else next = { module, path: `${frame.path}>${module}`, depth: frame.depth + 1 };
    const attributes: Attributes = {
      'code.namespace': module,
      'code.function.name': `${module}.${operation}`,
      [ATTR_MODULE]: module,
      [ATTR_MODULE_CALLER]: from,
      [ATTR_MODULE_PATH]: next.path,
    };
    const span = this.#deps.tracer.startSpan(`${module}.${operation}`, { kind: SpanKind.INTERNAL, attributes }, parent);
    const ctx = trace.setSpan(parent, span).setValue(BOUNDARY_FRAME, next);
    return { span, ctx, labels: { from_module: from, to_module: module, operation }, startedAt: performance.now() };
  }

  #end(call: StartedCall, outcome: BoundaryOutcome, error: unknown): void {
    try {
      const seconds = (performance.now() - call.startedAt) / 1000;
      const { span } = call;
      if (outcome === 'error') {
        const type = errorType(error);
        span.recordException(toException(error));
        span.setAttribute(ATTR_ERROR_TYPE, type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      }
      span.end();
      this.#deps.metrics.callFinished({ ...call.labels, outcome }, seconds);
    } catch (failure) {
      this.#deps.guard.report('boundary.end', failure);
    }
  }

  #decorator(module: string, operation: string | undefined): BoundaryMethodDecorator {
    if (operation !== undefined) checkBoundaryName('operation', operation);
    const recorder = this;
    const wrap = <F extends (...args: never[]) => unknown>(method: F, name: string): F => {
      const op = operation ?? name;
      const wrapped = function (this: unknown, ...args: unknown[]) {
        return recorder.call(module, op, method as unknown as (...a: unknown[]) => unknown, this, args);
      };
      Object.defineProperty(wrapped, 'name', { value: method.name, configurable: true });
      copyReflectMetadata(method, wrapped);
      return wrapped as unknown as F;
    };
    function decorate(
      target: unknown,
      keyOrContext: string | symbol | ClassMethodDecoratorContext,
      descriptor?: PropertyDescriptor,
    ): PropertyDescriptor | ((...args: never[]) => unknown) {
      if (typeof keyOrContext === 'object' && keyOrContext !== null && 'kind' in keyOrContext) {
        // Standard decorator: (method, context) => replacement method.
        if (keyOrContext.kind !== 'method' || typeof target !== 'function') {
          throw new PeriscopeError('PERISCOPE_INVALID_BOUNDARY', `boundary ${module}: operation() decorates methods only`);
        }
        return wrap(target as (...args: never[]) => unknown, String(keyOrContext.name));
      }
      // Legacy decorator: (prototype, key, descriptor) => descriptor.
      if (!descriptor || typeof descriptor.value !== 'function') {
        throw new PeriscopeError('PERISCOPE_INVALID_BOUNDARY', `boundary ${module}: operation() decorates methods only`);
      }
      return { ...descriptor, value: wrap(descriptor.value, String(keyOrContext)) };
    }
    return decorate as BoundaryMethodDecorator;
  }
}

interface ReflectMetadataApi {
  getOwnMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
}

/**
 * Copies `reflect-metadata` entries from a method to its wrapper, when that
 * library is loaded: frameworks (Nest's `@Get`, guards, interceptors) read
 * their metadata from the function itself. For adapters that wrap methods
 * (the Nest module's auto mode).
 */
export function copyReflectMetadata(from: object, to: object): void {
  const api = Reflect as unknown as ReflectMetadataApi;
  if (!api.getOwnMetadataKeys || !api.getOwnMetadata || !api.defineMetadata) return;
  for (const key of api.getOwnMetadataKeys(from)) api.defineMetadata(key, api.getOwnMetadata(key, from), to);
}
