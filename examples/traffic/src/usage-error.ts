/** Bad command-line input: the message names the flag; the CLI exits with code 2. */
export class UsageError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
  }
}

/** `800ms`, `2s`, `1.5s`, `3m` → milliseconds; `flag` names the option in the error. */
export function parseDuration(flag: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(raw.trim());
  if (!match) throw new UsageError(flag, `"${raw}" is not a duration (use e.g. 800ms, 30s, 2m)`);
  const value = Number(match[1]);
  const unit = match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000;
  return Math.round(value * unit);
}
