import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FaultState } from '@periscope/example-shop-kit';
import { from, type Observable, switchMap } from 'rxjs';
import { FAULT_STATE } from './tokens.js';

/** Injected latency and errors in front of the business handlers; a thrown fault becomes Nest's 500. */
@Injectable()
export class FaultInterceptor implements NestInterceptor {
  constructor(@Inject(FAULT_STATE) private readonly faults: FaultState) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return from(this.faults.apply()).pipe(switchMap(() => next.handle()));
  }
}
