import { type DynamicModule, Module } from '@nestjs/common';
import type { FaultState, ShopEvents } from '@periscope/example-shop-kit';
import { PeriscopeModule } from '@periscope/nest';
import type { Telemetry } from '@periscope/sdk';
import { AccountsDirectory } from './adapters/accounts-directory.js';
import { TelemetryCheckoutNotifier } from './adapters/telemetry-checkout-notifier.js';
import { CheckoutService } from './domain/checkout.js';
import { CheckoutController } from './http/checkout.controller.js';
import { FaultInterceptor } from './http/fault.interceptor.js';
import { FaultsController } from './http/faults.controller.js';
import { CHECKOUT_SERVICE, FAULT_STATE } from './http/tokens.js';

/** Wires the domain to its adapters and to Periscope; the composition root passes what the environment decides. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static factory.
export class AppModule {
  static forRoot(options: { telemetry: Telemetry<ShopEvents>; accountsUrl: string; faults: FaultState }): DynamicModule {
    return {
      module: AppModule,
      imports: [PeriscopeModule.forRoot({ telemetry: options.telemetry })],
      controllers: [CheckoutController, FaultsController],
      providers: [
        { provide: FAULT_STATE, useValue: options.faults },
        FaultInterceptor,
        {
          provide: CHECKOUT_SERVICE,
          useFactory: () =>
            new CheckoutService(new AccountsDirectory(options.accountsUrl), new TelemetryCheckoutNotifier(options.telemetry)),
        },
      ],
    };
  }
}
