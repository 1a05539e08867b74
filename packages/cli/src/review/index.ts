export type { Baseline, ReviewOptions } from './args.js';
export { parseDuration, parseReviewArgs, parseTime } from './args.js';
export { renderMarkdown } from './markdown.js';
export type { ReviewReport } from './model.js';
export { buildReview, runReview } from './run-review.js';
export const REVIEW_USAGE = `  periscope review --prometheus <url> --from <time> [--to <time>] [--service <name>]... [--baseline before|1h|1d|1w]
                   [--tempo <url>] [--loki <url>] [--grafana <url>] [--out <report.md>] [--json] [--step 15s]
                   [--config <periscope.config.mjs>] [--top 5] [--timeout 10s]`;
