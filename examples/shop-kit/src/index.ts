export type { Channel, Plan, ShopEvents } from './events.js';
export { shopEvents, shopFunnels } from './events.js';
export type { Faults } from './faults.js';
export { FAULTS_PATH, FaultState, InjectedFaultError } from './faults.js';
export type { ReadyMessage, StartedApp } from './lifecycle.js';
export { runService } from './lifecycle.js';
export type { ServiceEnv } from './service-env.js';
export { readServiceEnv, readUrl } from './service-env.js';
