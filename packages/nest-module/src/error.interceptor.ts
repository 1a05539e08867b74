import { type CallHandler, type ExecutionContext, HttpException, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { catchError } from 'rxjs/operators';
import { PeriscopeHttpHook } from './http-hook.js';
import type { PeriscopeModuleOptions } from './options.js';
import { PERISCOPE_MODULE_OPTIONS } from './tokens.js';

/**
 * Global interceptor (registered by {@link PeriscopeModule} as `APP_INTERCEPTOR`)
 * that records what a handler throws on the request's span, then rethrows it
 * untouched, so Nest's exception filters still produce the app's own status
 * and body. An `HttpException` below 500 is the client's error, answered by
 * the app: it is not recorded (the span stays unset, as the semantic
 * conventions ask of 4xx on server spans).
 */
@Injectable()
export class PeriscopeErrorInterceptor implements NestInterceptor {
  constructor(
    @Inject(PeriscopeHttpHook) private readonly hook: PeriscopeHttpHook,
    @Inject(PERISCOPE_MODULE_OPTIONS) private readonly options: PeriscopeModuleOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        this.#record(context, error);
        return throwError(() => error);
      }),
    );
  }

  #record(context: ExecutionContext, error: unknown): void {
    try {
      if (error instanceof HttpException && error.getStatus() < 500) return;
      this.hook.observationOf(context.switchToHttp().getRequest())?.recordError(error);
    } catch (failure) {
      this.options.telemetry.http.reportInternalError('nest.recordError', failure);
    }
  }
}
