import { fstatSync, write, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';

export interface LineWriterOptions {
  /** File descriptor to write to (1 for stdout). */
  fd: number;
  /** Most bytes waiting to be written; a line that would go past it is dropped and reported. */
  maxPendingBytes: number;
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
 * Bytes of one staging chunk, and so the most handed to one `write(2)`. A
 * reader that falls behind leaves a backlog of chunks, written one by one.
 */
const CHUNK_BYTES = 64 * 1024;

/**
 * An asynchronous, bounded line writer for log output. Each line is encoded
 * into a staging chunk as it is written, so the string dies at once (held
 * until the next turn of the event loop, lines outlived young-generation
 * GCs and a batch was copied again to be joined). The lines written during
 * one turn go out in one `write(2)` after it, off the request path; while a
 * write is in flight or refused, new lines wait in further chunks up to
 * `maxPendingBytes`, and what does not fit is dropped and counted, so a slow
 * or stuck reader costs the app bounded memory and no blocking. A chunk that
 * has been written is reused.
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
  /** Chunks of lines not yet handed to the descriptor, oldest first; the last one is being filled. */
  #chunks: Chunk[] = [];
  #pendingBytes = 0;
  #pendingLines = 0;
  /** A written chunk kept for the next one (with a direct descriptor, the same chunk serves every write). */
  #spare: Buffer | undefined;
  /** The chunk whose bytes are being written, and what of them the descriptor has not accepted yet. */
  #inFlight: { chunk: Chunk; rest: Buffer } | undefined;
  /** An `fs.write` is running in the thread pool (as opposed to waiting to retry a refusal); never set when direct. */
  #writing = false;
  #scheduled = false;
  #closed = false;
  /** `flush()` calls waiting for everything accepted to be written. */
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: LineWriterOptions) {
    this.#fd = options.fd;
    this.#max = options.maxPendingBytes;
    this.#onDrop = options.onDrop;
    this.#direct = options.direct ?? writesCannotBlock(options.fd);
    flushAllOnExit(this);
  }

  /** pino's destination interface. */
  write(line: string): boolean {
    if (this.#closed) {
      this.#onDrop(1);
      return false;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for that, so the line is never cut.
    const room = line.length * 3;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || chunk.end + room > chunk.bytes.length) {
      if (this.#pendingBytes + line.length > this.#max) {
        this.#onDrop(1);
        return false;
      }
      chunk = this.#newChunk(room);
      this.#chunks.push(chunk);
    }
    const bytes = chunk.bytes.write(line, chunk.end, 'utf8');
    if (this.#pendingBytes + bytes > this.#max) {
      this.#onDrop(1); // the bytes stay past `end`, to be overwritten
      return false;
    }
    chunk.end += bytes;
    chunk.lines++;
    this.#pendingBytes += bytes;
    this.#pendingLines++;
    if (!this.#scheduled && !this.#inFlight) {
      this.#scheduled = true;
      setImmediate(() => this.#writeNext());
    }
    return true;
  }

  /** Lines not yet handed to the descriptor. */
  get pendingLines(): number {
    return this.#pendingLines;
  }

  /**
   * Resolves once every line accepted so far has been written (or dropped),
   * or after `waitMillis` (a stuck reader), whichever comes first; what is
   * still pending then is written synchronously by {@link flushSync}. Never
   * rejects. This is what shutdown and `forceFlush()` use: a write already in
   * the thread pool is awaited rather than written a second time.
   */
  flush(waitMillis = 1000): Promise<void> {
    if (!this.#inFlight && this.#pendingLines === 0) return Promise.resolve();
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
    const parts: Buffer[] = [];
    if (this.#inFlight && !this.#writing) {
      parts.push(this.#inFlight.rest);
      this.#inFlight = undefined;
    }
    for (const chunk of this.#chunks) parts.push(chunk.bytes.subarray(0, chunk.end));
    this.#chunks = [];
    this.#pendingBytes = 0;
    this.#pendingLines = 0;
    let data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
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

  /** A chunk with at least `room` bytes: the spare one when it will do. */
  #newChunk(room: number): Chunk {
    let bytes = this.#spare;
    this.#spare = undefined;
    if (bytes === undefined || bytes.length < room) bytes = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, room));
    return { bytes, end: 0, lines: 0 };
  }

  #writeNext(): void {
    this.#scheduled = false;
    if (this.#inFlight) return;
    const chunk = this.#chunks.shift();
    if (chunk === undefined) {
      for (const waiter of [...this.#idleWaiters]) waiter();
      return;
    }
    // Handed over: later lines go to another chunk.
    this.#pendingBytes -= chunk.end;
    this.#pendingLines -= chunk.lines;
    this.#send(chunk, chunk.bytes.subarray(0, chunk.end));
  }

  #send(chunk: Chunk, data: Buffer): void {
    const inFlight = { chunk, rest: data };
    this.#inFlight = inFlight;
    if (this.#direct) {
      let written: number;
      try {
        written = writeSync(this.#fd, data, 0, data.length);
      } catch (error) {
        this.#sent(inFlight, error as NodeJS.ErrnoException, 0);
        return;
      }
      this.#sent(inFlight, null, written);
      return;
    }
    this.#writing = true;
    write(this.#fd, data, 0, data.length, null, (error, written) => {
      this.#writing = false;
      this.#sent(inFlight, error, written);
    });
  }

  #sent(inFlight: { chunk: Chunk; rest: Buffer }, error: NodeJS.ErrnoException | null, written: number): void {
    if (this.#inFlight !== inFlight) return; // flushSync took over a retry
    const data = inFlight.rest;
    if (error) {
      if (error.code === 'EAGAIN' || error.code === 'EBUSY') {
        this.#retryLater(inFlight);
        return;
      }
      this.#done(inFlight.chunk);
      this.#onDrop(countLines(data));
      this.#writeNext();
      return;
    }
    if (written < data.length) {
      inFlight.rest = data.subarray(written);
      // A short direct write means the pipe is full: wait for the reader rather than spin.
      if (this.#direct) this.#retryLater(inFlight);
      else this.#send(inFlight.chunk, inFlight.rest);
      return;
    }
    this.#done(inFlight.chunk);
    this.#writeNext();
  }

  #done(chunk: Chunk): void {
    this.#inFlight = undefined;
    if (chunk.bytes.length === CHUNK_BYTES) this.#spare = chunk.bytes;
  }

  #retryLater(inFlight: { chunk: Chunk; rest: Buffer }): void {
    setTimeout(() => {
      if (this.#inFlight === inFlight) this.#send(inFlight.chunk, inFlight.rest);
    }, RETRY_MILLIS).unref();
  }
}

/** Lines encoded for writing: `bytes[0, end)` holds `lines` whole lines. */
interface Chunk {
  readonly bytes: Buffer;
  end: number;
  lines: number;
}

function countLines(data: Buffer): number {
  let lines = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines++;
  return Math.max(lines, data.length > 0 ? 1 : 0);
}
