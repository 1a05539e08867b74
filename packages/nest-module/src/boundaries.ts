import { Inject, Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { type Boundary, copyReflectMetadata, currentModule } from '@periscope/sdk';
import type { PeriscopeModuleOptions } from './options.js';
import { PERISCOPE_MODULE_OPTIONS } from './tokens.js';

/** What is read of Nest's `InstanceWrapper` (kept structural: no deep import of Nest internals). */
interface WrapperLike {
  readonly instance: unknown;
  readonly metatype: unknown;
  readonly inject?: unknown;
  readonly isTransient?: boolean;
  isDependencyTreeStatic(): boolean;
}

/** What is read of Nest's `Module`. */
interface ModuleLike {
  readonly metatype: { name: string } | undefined;
  readonly providers: Map<unknown, WrapperLike>;
  readonly controllers: Map<unknown, WrapperLike>;
}

/** Modules never treated as boundaries: Nest's own, and Periscope's. */
const SKIPPED_MODULES = new Set(['InternalCoreModule', 'PeriscopeModule']);
/** Nest lifecycle hooks and module hooks: called by Nest itself, not by another module. */
const SKIPPED_METHODS = new Set([
  'constructor',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
  'configure',
]);

/** `OrdersModule` → `orders`, `UserProfilesModule` → `user-profiles`. */
export function boundaryNameOf(moduleClassName: string): string {
  const base = moduleClassName.replace(/Module$/, '') || moduleClassName;
  return base
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/**
 * Wraps, once at start-up, the methods of every static controller and class
 * provider instance of each Nest module, so calls crossing from one module
 * into another are recorded. Runs from `PeriscopeModule.configure()`, which
 * Nest calls before it binds routes to the controllers' methods.
 *
 * A wrapper checks the module the caller runs in (from the OpenTelemetry
 * context): the same module → a plain call; any other (or `http`, `none`) →
 * `boundary.apply()`, which keeps `this`, arguments, result and thrown error.
 * Not covered: request-scoped and transient providers (created per request),
 * factory and value providers (`useFactory`, `useValue`), and an Observable
 * returned by a method (recorded when returned, not when it completes).
 */
@Injectable()
export class PeriscopeBoundaries {
  #installed = false;
  readonly #wrapped = new WeakSet<object>();

  constructor(
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(PERISCOPE_MODULE_OPTIONS) private readonly options: PeriscopeModuleOptions,
  ) {}

  /** Wraps the modules' instances when `boundaries.auto` is on; idempotent. Returns how many methods were wrapped. */
  install(): number {
    if (this.#installed || this.options.boundaries?.auto !== true) return 0;
    this.#installed = true;
    let count = 0;
    try {
      const exclude = new Set(this.options.boundaries.exclude ?? []);
      for (const module of this.modules.values() as Iterable<ModuleLike>) {
        const className = module.metatype?.name;
        if (!className || SKIPPED_MODULES.has(className) || exclude.has(className)) continue;
        const name = boundaryNameOf(className);
        const boundary = this.options.telemetry.boundary(name);
        for (const [token, wrapper] of [...module.controllers, ...module.providers]) {
          // APP_INTERCEPTOR, APP_GUARD...: enhancers Nest calls itself, on every request.
          if (typeof token === 'string' && token.startsWith('APP_')) continue;
          if (wrapper.metatype === module.metatype || !isClassInstance(wrapper)) continue;
          try {
            count += this.#wrapInstance(wrapper.instance as object, name, boundary);
          } catch (error) {
            // A frozen or proxied instance: left as it is, the others are still wrapped.
            this.options.telemetry.http.reportInternalError('nest.boundaries.wrap', error);
          }
        }
      }
    } catch (error) {
      this.options.telemetry.http.reportInternalError('nest.boundaries', error);
    }
    return count;
  }

  #wrapInstance(instance: object, module: string, boundary: Boundary): number {
    if (this.#wrapped.has(instance)) return 0;
    this.#wrapped.add(instance);
    const className = instance.constructor.name;
    let count = 0;
    for (const [method, original] of methodsOf(instance)) {
      const operation = `${className}.${method}`;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        // Inside its own module a call is not a boundary crossing: call through.
        if (currentModule() === module) return original.apply(this, args);
        return boundary.apply(operation, original, this, args);
      };
      Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
      // Nest reads route, guard and interceptor metadata from the handler function itself: the wrapper carries a copy.
      copyReflectMetadata(original, wrapped);
      Object.defineProperty(instance, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
      count++;
    }
    return count;
  }
}

/** A singleton instance of a class provider or controller (not a factory, value, transient or request-scoped one). */
function isClassInstance(wrapper: WrapperLike): boolean {
  const { instance, metatype } = wrapper;
  if (typeof instance !== 'object' || instance === null || typeof metatype !== 'function') return false;
  if (wrapper.inject || wrapper.isTransient || !wrapper.isDependencyTreeStatic()) return false;
  return instance.constructor === metatype;
}

/** Own and inherited methods (not accessors), up to `Object.prototype`. */
function methodsOf(instance: object): Map<string, (...args: unknown[]) => unknown> {
  const methods = new Map<string, (...args: unknown[]) => unknown>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (methods.has(key) || SKIPPED_METHODS.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor && typeof descriptor.value === 'function') methods.set(key, descriptor.value);
    }
  }
  return methods;
}
