import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FunnelDefinitions, type FunnelRuleOptions, funnelRules } from '@periscope/sdk';

/** What a Periscope config module exports (named or as `default`). */
export interface PeriscopeConfig {
  funnels?: FunnelDefinitions;
  /** Options of the generated alert. */
  funnelAlert?: FunnelRuleOptions;
}

/** Loads a config module (ESM or CJS) by path. */
export async function loadConfig(path: string): Promise<PeriscopeConfig> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as PeriscopeConfig & { default?: PeriscopeConfig };
  const config = module.default && typeof module.default === 'object' && !module.funnels ? module.default : module;
  if (!config.funnels || Object.keys(config.funnels).length === 0) {
    throw new Error(`${path} exports no funnels: export const funnels = { signup: ['landing.viewed', 'user.signed_up'] }`);
  }
  return config;
}

/** The rules file for a config: recording rules per funnel step and conversion, and the drop alert. */
export function generateRules(config: PeriscopeConfig, overrides: FunnelRuleOptions = {}): string {
  return funnelRules(config.funnels ?? {}, { ...config.funnelAlert, ...overrides });
}
