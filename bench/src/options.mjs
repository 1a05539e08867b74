/** Command-line options of `pnpm bench`. */
import { parseArgs } from 'node:util';

export const USAGE = `Usage: pnpm bench [options]
  --rounds N        interleaved rounds (default 3; --smoke: 1)
  --duration S      measured seconds per cell and round (default 8; --smoke: 2)
  --steady S        measured seconds of the steady-state memory cells (route users-steady, run in round 1 only;
                    default 60; --smoke: the --duration; 0 leaves them out)
  --warmup S        warm-up seconds before each measured run (default 1; --smoke: 0.5)
  --connections N   concurrent connections (default 50)
  --filter TEXT     only cells whose id (framework:stack:route) contains TEXT (or matches it as a regular expression), plus their bare cells
  --quiet-wait S    before each cell, wait up to S seconds for the machine to be idle (default 60; --smoke: 0, no wait)
  --json FILE       write every sample and summary as JSON
  --smoke           a short run of a subset; exits non-zero if a cell fails to start or serves errors
  --cpu-prof DIR    run the servers under node --cpu-prof, writing profiles to DIR
  --micro           run the microbenchmarks (track(), log line, observation, IDs, traceparent, span) instead of the servers
  --list            print the cell ids and exit
  --report FILE     print the tables again from a JSON file written by --json, without running anything`;

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      steady: { type: 'string' },
      connections: { type: 'string' },
      filter: { type: 'string' },
      json: { type: 'string' },
      'quiet-wait': { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      list: { type: 'boolean', default: false },
      micro: { type: 'boolean', default: false },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const smoke = values.smoke;
  const options = {
    rounds: positive('rounds', values.rounds ?? (smoke ? '1' : '3'), true),
    duration: positive('duration', values.duration ?? (smoke ? '2' : '8')),
    warmup: positive('warmup', values.warmup ?? (smoke ? '0.5' : '1')),
    steady: nonNegative('steady', values.steady ?? (smoke ? (values.duration ?? '2') : '60')),
    connections: positive('connections', values.connections ?? '50', true),
    quietWait: nonNegative('quiet-wait', values['quiet-wait'] ?? (smoke ? '0' : '60')),
    filter: values.filter,
    json: values.json,
    smoke,
    list: values.list,
    micro: values.micro,
    report: values.report,
    help: values.help,
    serverNodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
  };
  return options;
}

function positive(name, raw, integer = false) {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${raw}'`);
  }
  return value;
}

function nonNegative(name, raw) {
  return raw === '0' ? 0 : positive(name, raw);
}
