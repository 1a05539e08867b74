/**
 * @periscope/cli: the `periscope` command, and its pieces for use from code.
 */

export type { PeriscopeConfig } from './rules.js';
export { generateRules, loadConfig } from './rules.js';
