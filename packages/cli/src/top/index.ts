export type { TopOptions } from './args.js';
export { parseTopArgs, TopUsageError } from './args.js';
export { runTop } from './run-top.js';
export const TOP_USAGE = `  periscope top [name=]<metrics-url>... [--targets <file>] [--funnel <name>=<step>,<step>...] [--config <file>]
                [--interval 2s] [--once] [--plain]`;
