import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PeriscopeError } from '@periscope/sdk';
import { BOUNDARIES_USAGE, BoundariesUsageError, parseBoundariesArgs, runBoundaries } from './boundaries/index.js';
import { parseReviewArgs, REVIEW_USAGE, runReview } from './review/index.js';
import { generateRules, loadConfig } from './rules.js';
import { parseTopArgs, runTop, TopUsageError } from './top/index.js';

const USAGE = `Usage:
  periscope rules --config <periscope.config.mjs> [--out <file>] [--drop-threshold 0.3] [--for 15m] [--min-events-per-hour 20]
  periscope top [name=]<metrics-url>... [--targets <file>] [--funnel <name>=<step>,<step>...] [--config <file>]
                [--interval 2s] [--once] [--plain]
${BOUNDARIES_USAGE}
${REVIEW_USAGE}

Commands:
  rules   Prometheus recording rules (step rates, conversion ratios over 5m and 1h) and a
          conversion-drop alert for the funnels exported by the config module.
  top     A live view of services' /metrics pages: request rate, error ratio and p95 per route,
          funnel conversion, Periscope's own drops, and the trace IDs of the slowest recent
          requests (exemplars). Full screen in a terminal (q or Ctrl-C quits); otherwise, or with
          --plain, a summary every 5 s. --once prints one frame (two scrapes --interval apart).
          Targets: URLs as arguments, or --targets <file> with one [name=]url per line.
  boundaries  The module graph of a modular monolith (telemetry.boundary()): who calls whom,
          how often, with which errors and how much time, from a live /metrics page (totals) or
          Prometheus (increase over --window); a table with the extraction candidates, and a
          Mermaid (--mermaid) or Graphviz (--dot) file. Exit 1 when the source cannot be read.
          See docs/boundaries.md.
  review  An incident-review draft from Prometheus (and Tempo, Loki, Grafana links when given):
          impact per route and business events against a baseline window, a timeline (start,
          peak, recovery, alerts, deploys), exemplar traces and logs. Markdown (or --json) to
          --out or stdout, SVG charts beside --out, progress on stderr. Times: RFC 3339, Unix
          seconds or now-30m. Exit 0 with a (possibly partial) report, 1 when nothing could be
          queried, 2 for a usage error. See docs/review.md.
`;

/** A mistake on the command line: printed with the usage, exit code 2. */
class UsageError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a command's argument parser; what it throws as a usage mistake becomes a {@link UsageError}. */
async function parsed<T>(command: string, parse: () => T | Promise<T>, isUsage: (error: unknown) => boolean = () => true): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    if (!isUsage(error)) throw error;
    throw new UsageError(command, error instanceof Error ? error.message : String(error));
  }
}

/** Every command: its arguments in, an exit code out. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  top: async (argv) =>
    runTop(
      await parsed(
        'top',
        () => parseTopArgs(argv, Boolean(process.stdout.isTTY)),
        (error) => error instanceof TopUsageError,
      ),
    ),
  boundaries: async (argv) =>
    runBoundaries(
      await parsed(
        'boundaries',
        () => parseBoundariesArgs(argv),
        (error) => error instanceof BoundariesUsageError,
      ),
    ),
  review: async (argv) => {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    const options = await parsed('review', () => parseReviewArgs(argv));
    try {
      return await runReview(options);
    } catch (error) {
      // Found while running (a config file that fails to load): the message says what, without the usage.
      if (!(error instanceof PeriscopeError)) throw error;
      process.stderr.write(`periscope review: ${error.message}\n`);
      return 2;
    }
  },
  rules: async (argv) => {
    const { config, out, rules } = await parsed('rules', () => parseRulesArgs(argv));
    const yaml = generateRules(await loadConfig(config), rules);
    if (out) {
      await writeFile(out, yaml);
      process.stderr.write(`periscope rules: wrote ${out}\n`);
    } else {
      process.stdout.write(yaml);
    }
    return 0;
  },
};

function parseRulesArgs(argv: string[]): { config: string; out: string | undefined; rules: Parameters<typeof generateRules>[1] } {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      'drop-threshold': { type: 'string' },
      for: { type: 'string' },
      'min-events-per-hour': { type: 'string' },
    },
  });
  if (!values.config) throw new Error('--config is required');
  const number = (name: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${raw}"`);
    return n;
  };
  return {
    config: values.config,
    out: values.out,
    rules: {
      ...(values['drop-threshold'] !== undefined && { dropThreshold: number('drop-threshold', values['drop-threshold']) }),
      ...(values.for !== undefined && { for: values.for }),
      ...(values['min-events-per-hour'] !== undefined && {
        minEventsPerHour: number('min-events-per-hour', values['min-events-per-hour']),
      }),
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`periscope: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`periscope ${error.command}: ${error.message}\n\n${USAGE}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`periscope: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
