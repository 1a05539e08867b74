import { parseArgs } from 'node:util';
import { type FaultSpec, parseFaultSpec } from './fault-spec.js';
import { parseDuration, UsageError } from './usage-error.js';

export const SERVICES = ['web', 'accounts', 'billing'] as const;

export interface TrafficOptions {
  /** Base URL of each service; visitors talk to `web`, faults go to any of them. */
  urls: Record<string, string>;
  /** Journeys started per second. */
  rate: number;
  /** Stop after this long (ms); 0 runs until a signal. */
  durationMs: number;
  faults: FaultSpec[];
  /** When the fault window opens, after start (ms). */
  faultAfterMs: number;
  /** How long it stays open (ms); 0 keeps it open until the end. */
  faultWindowMs: number;
}

export const TRAFFIC_USAGE = `Usage: shop-traffic [options]
  --rate <n>             journeys started per second (default 5)
  --duration <d>         stop after d (e.g. 60s, 5m; default: until Ctrl-C)
  --fault <spec>         billing:latency=800ms | accounts:errors=30% (repeatable)
  --fault-after <d>      open the fault window after d (default 0s)
  --fault-window <d>     close it after d (default: stays open)
  --web|--accounts|--billing <url>   service base URLs (default WEB_URL, ACCOUNTS_URL, BILLING_URL,
                         else http://127.0.0.1:8080, 8081, 8082)
`;

/** Parses the command line; every mistake is a {@link UsageError} naming the flag. */
export function parseTrafficArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TrafficOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const flag = /'(-[^']+)'/.exec((error as Error).message)?.[1] ?? 'arguments';
    throw new UsageError(flag, (error as Error).message.split('.')[0] ?? 'invalid');
  }
  const { values } = parsed;
  const rate = Number(values.rate ?? '5');
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1000)
    throw new UsageError('--rate', `"${values.rate}" must be a number of journeys per second, 0 < rate <= 1000`);
  const urls: Record<string, string> = {};
  SERVICES.forEach((name, index) => {
    const raw = values[name] ?? env[`${name.toUpperCase()}_URL`] ?? `http://127.0.0.1:${8080 + index}`;
    if (!/^https?:\/\/[^/]+/.test(raw)) throw new UsageError(`--${name}`, `"${raw}" is not an http(s) URL`);
    urls[name] = raw.replace(/\/$/, '');
  });
  return {
    urls,
    rate,
    durationMs: values.duration ? parseDuration('--duration', values.duration) : 0,
    faults: (values.fault ?? []).map((text) => parseFaultSpec(text, SERVICES)),
    faultAfterMs: values['fault-after'] ? parseDuration('--fault-after', values['fault-after']) : 0,
    faultWindowMs: values['fault-window'] ? parseDuration('--fault-window', values['fault-window']) : 0,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'fault-after': { type: 'string' },
      'fault-window': { type: 'string' },
      web: { type: 'string' },
      accounts: { type: 'string' },
      billing: { type: 'string' },
    },
  });
}
