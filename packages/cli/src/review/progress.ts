import type { QueryRecord } from './prometheus.js';

/** Progress of the queries on stderr: one rewritten line on a terminal, otherwise a line per phase and per failure. */
export interface Progress {
  phase(name: string): void;
  query(record: QueryRecord): void;
  done(): void;
  readonly records: readonly QueryRecord[];
}

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, quiet = false): Progress {
  const records: QueryRecord[] = [];
  const tty = Boolean(stream.isTTY) && !quiet;
  let phase = '';
  const line = () => {
    const failed = records.filter((r) => !r.ok).length;
    stream.write(`\r\x1b[Kperiscope review: ${phase} · ${records.length} queries${failed ? `, ${failed} failed` : ''}`);
  };
  return {
    records,
    phase(name) {
      phase = name;
      if (tty) line();
      else if (!quiet) stream.write(`periscope review: ${name}\n`);
    },
    query(record) {
      records.push(record);
      if (tty) {
        line();
        if (!record.ok) stream.write(`\n  ✗ ${record.backend} ${record.what}: ${record.error}\n`);
      } else if (!quiet && !record.ok) {
        stream.write(`  ✗ ${record.backend} ${record.what}: ${record.error}\n`);
      }
    },
    done() {
      if (tty) stream.write('\n');
    },
  };
}
