export type { TrafficOptions } from './args.js';
export { parseTrafficArgs, SERVICES, TRAFFIC_USAGE } from './args.js';
export { scheduleFaults, setFaults } from './fault-schedule.js';
export type { FaultSpec } from './fault-spec.js';
export { faultsByService, parseFaultSpec } from './fault-spec.js';
export type { JourneyOutcome } from './journey.js';
export { walkJourney } from './journey.js';
export { parseDuration, UsageError } from './usage-error.js';
