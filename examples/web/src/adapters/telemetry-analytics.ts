import type { ShopEvents } from '@periscope/example-shop-kit';
import type { Telemetry } from '@periscope/sdk';
import type { JourneyAnalytics } from '../domain/ports.js';

/** The journey's analytics port on Periscope: business events and the request's user. */
export class TelemetryAnalytics implements JourneyAnalytics {
  constructor(private readonly telemetry: Telemetry<ShopEvents>) {}

  landingViewed(page: 'home' | 'pricing'): void {
    this.telemetry.track('landing.viewed', { page });
  }

  identify(userId: string): void {
    this.telemetry.setUser(userId);
  }
}
