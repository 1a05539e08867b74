import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../rules.js';
import type { Target } from './scrape.js';

export interface TopOptions {
  targets: Target[];
  funnels: Record<string, readonly string[]>;
  intervalMs: number;
  once: boolean;
  /** Full-screen view; false prints plain summaries (stdout is not a terminal, or --plain). */
  tty: boolean;
}

/** A mistake on the command line; the message names the flag or argument. */
export class TopUsageError extends Error {}

/**
 * `periscope top [name=]url... [--targets file] [--funnel name=a,b,c] [--config file]
 * [--interval 2s] [--once] [--plain]`. A target without a name is named by its host:port.
 */
export async function parseTopArgs(argv: readonly string[], stdoutIsTty: boolean): Promise<TopOptions> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new TopUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const specs = [...positionals];
  if (values.targets) {
    const text = await readFile(values.targets, 'utf8').catch(() => {
      throw new TopUsageError(`--targets: cannot read ${values.targets}`);
    });
    specs.push(
      ...text
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean),
    );
  }
  if (specs.length === 0)
    throw new TopUsageError('no targets: pass metrics URLs (e.g. web=http://127.0.0.1:9464/metrics) or --targets <file>');
  const targets = specs.map(parseTarget);

  const funnels: Record<string, readonly string[]> = {};
  if (values.config) Object.assign(funnels, (await loadConfig(values.config)).funnels);
  for (const spec of values.funnel ?? []) {
    const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
    const steps =
      match?.[2]
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean) ?? [];
    if (!match || steps.length < 2)
      throw new TopUsageError(`--funnel ${spec}: expected <name>=<step>,<step>[,...], e.g. signup=landing.viewed,user.signed_up`);
    funnels[match[1] as string] = steps;
  }

  const interval = values.interval ?? (stdoutIsTty && !values.plain ? '2s' : values.once ? '2s' : '5s');
  const seconds = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(interval);
  const intervalMs = seconds ? Number(seconds[1]) * (seconds[2] === 'ms' ? 1 : 1000) : Number.NaN;
  if (!(intervalMs >= 100 && intervalMs <= 3_600_000))
    throw new TopUsageError(`--interval ${interval}: expected a duration such as 2s or 500ms (at least 100ms)`);
  return { targets, funnels, intervalMs, once: values.once ?? false, tty: stdoutIsTty && !values.plain && !values.once };
}

function parseTarget(spec: string): Target {
  const match = /^(?:([A-Za-z0-9_.-]+)=)?(https?:\/\/.+)$/.exec(spec);
  if (!match) throw new TopUsageError(`target "${spec}": expected [name=]http://host:port/metrics`);
  const url = new URL(match[2] as string);
  if (url.pathname === '/') url.pathname = '/metrics';
  return { service: match[1] ?? url.host, url: url.toString() };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      targets: { type: 'string' },
      funnel: { type: 'string', multiple: true },
      config: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
      plain: { type: 'boolean' },
    },
  });
}
