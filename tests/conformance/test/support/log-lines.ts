/** One JSON line as pino wrote it. */
export type LogLine = Record<string, unknown>;

const ACCESS_MESSAGES = new Set(['request completed', 'request failed', 'request aborted']);

/** A pino destination that keeps every line, parsed. */
export class LogLines {
  readonly lines: LogLine[] = [];

  write(chunk: string): void {
    for (const text of chunk.split('\n')) if (text !== '') this.lines.push(JSON.parse(text) as LogLine);
  }

  /** The one line per request the core writes at completion. */
  access(): LogLine[] {
    return this.lines.filter(isAccessLine);
  }

  /** Every other line: the app's own, and any diagnostics of Periscope itself. */
  app(): LogLine[] {
    return this.lines.filter((line) => !isAccessLine(line));
  }
}

export function isAccessLine(line: LogLine): boolean {
  return typeof line.msg === 'string' && ACCESS_MESSAGES.has(line.msg) && 'duration_ms' in line;
}
