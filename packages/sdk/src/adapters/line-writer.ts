import { fstatSync, write, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';

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
  /**
   * Whether a `write(2)` on `fd` can never block, so each batch is written
   * directly from the event loop instead of through the thread pool. The
   * default asks {@link writesCannotBlock}.
   */
  direct?: boolean;
}

/** Linux's `/dev/null` (major 1, minor 3). */
const DEV_NULL_RDEV = (1 << 8) | 3;

/**
 * Whether writing to `fd` (stdout or stderr) can never block the event loop:
 * `/dev/null`, or a pipe or socket that Node has opened as a stream. Node
 * opens a stdout pipe or socket through libuv, which makes the descriptor
 * non-blocking: a full pipe answers `EAGAIN` instead of blocking (the writer
 * then waits and retries, holding at most its bound). Files and terminals
 * are written through the thread pool: a slow disk or a paused terminal must
 * not stall the app.
 */
export function writesCannotBlock(fd: number): boolean {
  if (fd !== 1 && fd !== 2) return false;
  try {
    const stat = fstatSync(fd);
    if (stat.isCharacterDevice()) return stat.rdev === DEV_NULL_RDEV && !isatty(fd);
    if (stat.isFIFO() || stat.isSocket()) return (fd === 1 ? process.stdout : process.stderr) instanceof Socket;
  } catch {
    // A closed or odd descriptor: the thread pool, which reports its errors per write.
  }
  return false;
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

/** How long a synchronous flush (at exit) waits, in all, for a full pipe's reader before dropping the rest. */
const SYNC_WAIT_MILLIS = 500;
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

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
 * characters a write), off the request path; while a write is in flight or
 * refused, new lines wait in memory up to `maxPendingChars`, and what does
 * not fit is dropped and counted, so a slow or stuck reader costs the app
 * bounded memory and no blocking.
 *
 * The write itself is made from the event loop when the descriptor cannot
 * block (`direct`: a stdout pipe, `/dev/null`), else in the thread pool. The
 * thread pool's hand-off (a wake-up of a pool thread and one of the loop per
 * batch, on the same CPU) cost about 6 µs a request in the Fastify benchmark.
 *
 * It does what pino's SonicBoom does for Periscope, without computing the
 * UTF-8 length of its whole pending buffer on every line (a tenth of a
 * request's CPU in the benchmark profile).
 */
export class LineWriter {
  readonly #fd: number;
  readonly #max: number;
  readonly #onDrop: (lines: number) => void;
  readonly #direct: boolean;
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
  /** An `fs.write` is running in the thread pool (as opposed to waiting to retry a refusal); never set when direct. */
  #writing = false;
  #scheduled = false;
  #closed = false;
  /** `flush()` calls waiting for everything accepted to be written. */
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: LineWriterOptions) {
    this.#fd = options.fd;
    this.#max = options.maxPendingChars;
    this.#onDrop = options.onDrop;
    this.#direct = options.direct ?? writesCannotBlock(options.fd);
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
   * waiting to retry a full pipe is taken over. A full pipe is waited for
   * (sleeping a millisecond between tries) for at most half a second in all,
   * rather than blocking the exit; what is left then is counted as dropped.
   */
  flushSync(): void {
    let data: Buffer = Buffer.alloc(0);
    if (this.#inFlight && !this.#writing) {
      data = this.#inFlight;
      this.#inFlight = undefined;
    }
    if (this.#lines.length > 0) data = Buffer.concat([data, Buffer.from(this.#take(), 'utf8')]);
    // A full non-blocking pipe refuses with EAGAIN: sleep a millisecond and retry, for a bounded time.
    const deadline = Date.now() + SYNC_WAIT_MILLIS;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.#fd, data));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < deadline) {
          Atomics.wait(SLEEP, 0, 0, 1);
          continue;
        }
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
    if (this.#direct) {
      let written: number;
      try {
        written = writeSync(this.#fd, data, 0, data.length);
      } catch (error) {
        this.#sent(data, error as NodeJS.ErrnoException, 0);
        return;
      }
      this.#sent(data, null, written);
      return;
    }
    this.#writing = true;
    write(this.#fd, data, 0, data.length, null, (error, written) => {
      this.#writing = false;
      this.#sent(data, error, written);
    });
  }

  #sent(data: Buffer, error: NodeJS.ErrnoException | null, written: number): void {
    if (this.#inFlight !== data) return; // flushSync took over a retry
    if (error) {
      if (error.code === 'EAGAIN' || error.code === 'EBUSY') {
        this.#retryLater(data);
        return;
      }
      this.#inFlight = undefined;
      this.#onDrop(countLines(data));
      this.#writeNext();
      return;
    }
    if (written < data.length) {
      const rest = data.subarray(written);
      // A short direct write means the pipe is full: wait for the reader rather than spin.
      if (this.#direct) this.#retryLater(rest);
      else this.#send(rest);
      return;
    }
    this.#inFlight = undefined;
    this.#writeNext();
  }

  #retryLater(data: Buffer): void {
    this.#inFlight = data;
    setTimeout(() => {
      if (this.#inFlight === data) this.#send(data);
    }, RETRY_MILLIS).unref();
  }
}

function countLines(data: Buffer): number {
  let lines = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines++;
  return Math.max(lines, data.length > 0 ? 1 : 0);
}
