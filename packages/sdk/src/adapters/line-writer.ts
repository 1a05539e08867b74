import { write, writeSync } from 'node:fs';

export interface LineWriterOptions {
  /** File descriptor to write to (1 for stdout). */
  fd: number;
  /**
   * Most characters waiting to be written; a line that would go past it is
   * dropped and reported. Characters, not bytes: counting bytes would cost a
   * UTF-8 length computation per line (a UTF-8 line is at most 3 bytes per
   * character, so the byte bound is three times this).
   */
  maxPendingChars: number;
  /** Called with the number of lines dropped (buffer full, or the descriptor failed). */
  onDrop: (lines: number) => void;
}

/** Writers with lines pending at process exit get a last synchronous flush (as pino does for its streams). */
const open = new Set<LineWriter>();
let exitHooked = false;
function flushAllOnExit(writer: LineWriter): void {
  open.add(writer);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const w of open) w.flushSync();
  });
}

/** How long to wait before retrying a write the descriptor refused for now (a full pipe). */
const RETRY_MILLIS = 10;

/**
 * Most characters handed to one `write(2)`. A reader that falls behind leaves
 * a backlog; writing it in pieces keeps each write's buffer small (a copy of
 * the whole backlog at once would add its size to the heap again).
 */
const MAX_CHARS_PER_WRITE = 64 * 1024;

/**
 * An asynchronous, bounded line writer for log output. Lines written during
 * one turn of the event loop go out in one `write(2)` after it (up to 64 Ki
 * characters a write), off the request path; while a write is in flight, new lines wait in memory up to
 * `maxPendingChars`, and what does not fit is dropped and counted, so a slow
 * or stuck reader costs the app bounded memory and no blocking.
 *
 * It does what pino's SonicBoom does for Periscope, without computing the
 * UTF-8 length of its whole pending buffer on every line (a tenth of a
 * request's CPU in the benchmark profile).
 */
export class LineWriter {
  readonly #fd: number;
  readonly #max: number;
  readonly #onDrop: (lines: number) => void;
  #lines: string[] = [];
  #pendingChars = 0;
  /** Bytes of the write in flight not yet accepted by the descriptor. */
  #inFlight: Buffer | undefined;
  /**
   * The bytes of each write are encoded into this buffer, reused from one
   * write to the next (one write is in flight at a time): `Buffer.from()` of
   * each batch cost about 1 µs a line, mostly allocating and measuring.
   */
  #bytes: Buffer | undefined;
  /** An `fs.write` is running in the thread pool (as opposed to waiting to retry a refusal). */
  #writing = false;
  #scheduled = false;
  #closed = false;
  /** `flush()` calls waiting for everything accepted to be written. */
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: LineWriterOptions) {
    this.#fd = options.fd;
    this.#max = options.maxPendingChars;
    this.#onDrop = options.onDrop;
    flushAllOnExit(this);
  }

  /** pino's destination interface. */
  write(line: string): boolean {
    if (this.#closed || this.#pendingChars + line.length > this.#max) {
      this.#onDrop(1);
      return false;
    }
    this.#lines.push(line);
    this.#pendingChars += line.length;
    if (!this.#scheduled && !this.#inFlight) {
      this.#scheduled = true;
      setImmediate(() => this.#writeNext());
    }
    return true;
  }

  /** Lines not yet handed to the descriptor. */
  get pendingLines(): number {
    return this.#lines.length;
  }

  /**
   * Resolves once every line accepted so far has been written (or dropped),
   * or after `waitMillis` (a stuck reader), whichever comes first; what is
   * still pending then is written synchronously by {@link flushSync}. Never
   * rejects. This is what shutdown and `forceFlush()` use: a write already in
   * the thread pool is awaited rather than written a second time.
   */
  flush(waitMillis = 1000): Promise<void> {
    if (!this.#inFlight && this.#lines.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#idleWaiters.delete(done);
        this.flushSync();
        resolve();
      };
      const timer = setTimeout(done, waitMillis);
      timer.unref();
      this.#idleWaiters.add(done);
      if (!this.#inFlight && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#writeNext());
      }
    });
  }

  /**
   * Writes what is pending now, synchronously (at process exit, or when
   * `flush()` gives up waiting). A write already running in the thread pool
   * is left to finish (writing its bytes again could duplicate lines); one
   * waiting to retry a full pipe is taken over. Gives up after a bounded
   * number of refusals from a full pipe rather than blocking the exit; what
   * is left is counted as dropped.
   */
  flushSync(): void {
    let data: Buffer = Buffer.alloc(0);
    if (this.#inFlight && !this.#writing) {
      data = this.#inFlight;
      this.#inFlight = undefined;
    }
    if (this.#lines.length > 0) data = Buffer.concat([data, Buffer.from(this.#take(), 'utf8')]);
    let refusals = 0;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.#fd, data));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && ++refusals < 100) continue;
        this.#onDrop(countLines(data));
        return;
      }
    }
  }

  /** Stops accepting lines (later ones are counted as dropped). */
  close(): void {
    this.#closed = true;
    open.delete(this);
  }

  /** Takes pending lines, whole, up to `limit` characters (at least one line). */
  #take(limit = Number.POSITIVE_INFINITY): string {
    const lines = this.#lines;
    let count = 0;
    let chars = 0;
    while (count < lines.length && (count === 0 || chars + (lines[count] as string).length <= limit)) {
      chars += (lines[count] as string).length;
      count++;
    }
    const data = count === 1 ? (lines[0] as string) : lines.slice(0, count).join('');
    if (count === lines.length) this.#lines = [];
    else this.#lines = lines.slice(count);
    this.#pendingChars -= chars;
    return data;
  }

  #writeNext(): void {
    this.#scheduled = false;
    if (this.#inFlight) return;
    if (this.#lines.length === 0) {
      for (const waiter of [...this.#idleWaiters]) waiter();
      return;
    }
    const text = this.#take(MAX_CHARS_PER_WRITE);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (!this.#bytes || this.#bytes.length < text.length * 3)
      this.#bytes = Buffer.allocUnsafeSlow(Math.max(text.length, MAX_CHARS_PER_WRITE) * 3);
    const length = this.#bytes.write(text, 0, 'utf8');
    this.#send(this.#bytes.subarray(0, length));
  }

  #send(data: Buffer): void {
    this.#inFlight = data;
    this.#writing = true;
    write(this.#fd, data, 0, data.length, null, (error, written) => {
      this.#writing = false;
      if (this.#inFlight !== data) return; // flushSync took over a retry
      if (error) {
        if (error.code === 'EAGAIN' || error.code === 'EBUSY') {
          setTimeout(() => {
            if (this.#inFlight === data) this.#send(data);
          }, RETRY_MILLIS).unref();
          return;
        }
        this.#inFlight = undefined;
        this.#onDrop(countLines(data));
        this.#writeNext();
        return;
      }
      if (written < data.length) {
        this.#send(data.subarray(written));
        return;
      }
      this.#inFlight = undefined;
      this.#writeNext();
    });
  }
}

function countLines(data: Buffer): number {
  let lines = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines++;
  return Math.max(lines, data.length > 0 ? 1 : 0);
}
