import type { ShopEvents } from '@periscope/example-shop-kit';
import type { Telemetry } from '@periscope/sdk';
import type { SignupNotifier, User } from '../domain/accounts.js';

/** Sign-ups as Periscope business events; the email is a property (log, span, sink), never a metric label. */
export class TelemetrySignupNotifier implements SignupNotifier {
  constructor(private readonly telemetry: Telemetry<ShopEvents>) {}

  signedUp(user: User): void {
    this.telemetry.setUser(user.id);
    this.telemetry.track('user.signed_up', { plan: user.plan, channel: user.channel, email: user.email });
  }
}
