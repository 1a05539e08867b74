import { parseArgs } from 'node:util';
import { parseTrafficArgs, UsageError } from '@periscope/example-traffic';

export interface DemoOptions {
  help: boolean;
  /** Stop after this many seconds; 0 runs until Ctrl-C. */
  seconds: number;
  /** Passed to the traffic generator as given (already validated). */
  trafficArgs: string[];
  /** Passed to `periscope top` (`--interval`, `--plain`). */
  topArgs: string[];
}

export const DEMO_USAGE = `Usage: pnpm demo [-- options]   (or ./scripts/demo.sh [options])
  --seconds <n>         stop on its own after n seconds (default: run until Ctrl-C)
  --rate <n>            visitor journeys per second (default 5)
  --fault <spec>        billing:latency=800ms | accounts:errors=30% (repeatable)
  --fault-after <d>     open the fault window after d (default 10s when a fault is given)
  --fault-window <d>    close it after d (default 30s)
  --interval <d>        periscope top's refresh (default 2s; 5s when not a terminal)
  --plain               plain summaries instead of the full-screen view
Ports: WEB_PORT 8080, ACCOUNTS_PORT 8081, BILLING_PORT 8082,
       WEB_METRICS_PORT 9464, ACCOUNTS_METRICS_PORT 9465, BILLING_METRICS_PORT 9466 (0: any free port)
`;

/** Parses and validates the demo's flags before anything starts; mistakes are {@link UsageError}s naming the flag. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    const flag = /'(-[^']+)'/.exec((error as Error).message)?.[1] ?? 'arguments';
    throw new UsageError(flag, (error as Error).message.split('.')[0] ?? 'invalid');
  }
  if (values.help) return { help: true, seconds: 0, trafficArgs: [], topArgs: [] };
  const seconds = values.seconds === undefined ? 0 : Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('--seconds', `"${values.seconds}" is not a number of seconds`);
  const trafficArgs = ['--rate', values.rate ?? '5'];
  for (const fault of values.fault ?? []) trafficArgs.push('--fault', fault);
  if (values.fault?.length) {
    trafficArgs.push('--fault-after', values['fault-after'] ?? '10s', '--fault-window', values['fault-window'] ?? '30s');
  }
  // The generator's own parser is the one authority on its flags: a bad --fault stops the demo here.
  parseTrafficArgs(trafficArgs, {});
  const topArgs: string[] = [];
  if (values.interval) topArgs.push('--interval', values.interval);
  if (values.plain) topArgs.push('--plain');
  return { help: false, seconds, trafficArgs, topArgs };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'fault-after': { type: 'string' },
      'fault-window': { type: 'string' },
      interval: { type: 'string' },
      plain: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
