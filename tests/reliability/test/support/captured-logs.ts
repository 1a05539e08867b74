const ACCESS_MESSAGES = new Set(['request completed', 'request failed', 'request aborted']);

/** One pino line, parsed. */
export type LogLine = Record<string, unknown>;

/**
 * A `logs.destination` that keeps the exact text pino wrote. `lines()` is
 * strict: every newline-separated piece must parse as one JSON object, so a
 * payload that split a line, or forged one, fails the test that reads it.
 */
export class CapturedLogs {
  #text = '';

  write(chunk: string): void {
    this.#text += chunk;
  }

  /** Everything written, verbatim. */
  get text(): string {
    return this.#text;
  }

  lines(): LogLine[] {
    return this.#text
      .split('\n')
      .filter((piece) => piece !== '')
      .map((piece, index) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(piece);
        } catch {
          throw new Error(`log line ${index + 1} is not JSON: ${JSON.stringify(piece.slice(0, 300))}`);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new Error(`log line ${index + 1} is not one JSON object: ${JSON.stringify(piece.slice(0, 300))}`);
        }
        return parsed as LogLine;
      });
  }

  /** The access-log lines: one per request, written by Periscope at completion. */
  access(): LogLine[] {
    return this.lines().filter((line) => ACCESS_MESSAGES.has(String(line.msg)) && 'duration_ms' in line);
  }
}
