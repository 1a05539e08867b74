/**
 * @periscope/cli: the `periscope` command, and its pieces for use from code.
 */

export type { Baseline, ReviewOptions, ReviewReport } from './review/index.js';
export { buildReview, parseReviewArgs, renderMarkdown, runReview } from './review/index.js';
export type { PeriscopeConfig } from './rules.js';
export { generateRules, loadConfig } from './rules.js';
