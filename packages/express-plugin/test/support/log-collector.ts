/** A pino destination that keeps each JSON line and lets a test wait for one. */
export class LogCollector {
  readonly lines: Record<string, unknown>[] = [];
  readonly #waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];

  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      if (text === '') continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      this.lines.push(line);
      for (const waiter of [...this.#waiters]) {
        if (waiter.match(line)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  }

  /** Resolves with the first line (already written or to come) that `match` accepts. */
  waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const found = this.lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Access-log lines: the one line per request the SDK writes at completion. */
  accessLines(): Record<string, unknown>[] {
    return this.lines.filter(isAccessLine);
  }
}

export function isAccessLine(line: Record<string, unknown>): boolean {
  return typeof line.msg === 'string' && line.msg.startsWith('request ') && 'route' in line && 'duration_ms' in line;
}
