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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'top') {
    try {
      return await runTop(await parseTopArgs(rest, Boolean(process.stdout.isTTY)));
    } catch (error) {
      if (!(error instanceof TopUsageError)) throw error;
      process.stderr.write(`periscope top: ${error.message}\n\n${USAGE}`);
      return 2;
    }
  }
  if (command === 'review') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    let options: ReturnType<typeof parseReviewArgs>;
    try {
      options = parseReviewArgs(rest);
    } catch (error) {
      process.stderr.write(`periscope review: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    try {
      return await runReview(options);
    } catch (error) {
      if (!(error instanceof PeriscopeError)) throw error;
      process.stderr.write(`periscope review: ${error.message}\n`);
      return 2;
    }
  }
  if (command === 'boundaries') {
    try {
      return await runBoundaries(parseBoundariesArgs(rest));
    } catch (error) {
      if (!(error instanceof BoundariesUsageError)) throw error;
      process.stderr.write(`periscope boundaries: ${error.message}\n\n${USAGE}`);
      return 2;
    }
  }
  if (command !== 'rules') {
    process.stderr.write(`periscope: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      'drop-threshold': { type: 'string' },
      for: { type: 'string' },
      'min-events-per-hour': { type: 'string' },
    },
  });
  if (!values.config) {
    process.stderr.write(`periscope rules: --config is required\n\n${USAGE}`);
    return 2;
  }
  const number = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${raw}"`);
    return n;
  };
  const config = await loadConfig(values.config);
  const yaml = generateRules(config, {
    ...(values['drop-threshold'] !== undefined && { dropThreshold: number('drop-threshold', values['drop-threshold']) }),
    ...(values.for !== undefined && { for: values.for }),
    ...(values['min-events-per-hour'] !== undefined && { minEventsPerHour: number('min-events-per-hour', values['min-events-per-hour']) }),
  });
  if (values.out) {
    await writeFile(values.out, yaml);
    process.stderr.write(`periscope rules: wrote ${values.out}\n`);
  } else {
    process.stdout.write(yaml);
  }
  return 0;
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
