import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LineWriter } from '../src/adapters/line-writer.js';

/**
 * The stdout writer behind Periscope's default log destination, against a
 * real pipe (a FIFO, non-blocking as stdout pipes are): lines arrive whole
 * and in order, a reader that stops costs bounded memory with every dropped
 * line counted, and what was accepted is delivered once the reader resumes.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fifo(): { path: string; writeFd: () => number; readFd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'periscope-fifo-'));
  dirs.push(dir);
  const path = join(dir, 'logs');
  execFileSync('mkfifo', [path]);
  // Reader first, so the non-blocking writer can open.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return { path, readFd, writeFd: () => openSync(path, constants.O_WRONLY | constants.O_NONBLOCK) };
}

function readAll(readFd: number, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    // A pipe handle, as Node reads a stdout pipe (non-blocking reads that wait for data).
    const stream = new Socket({ fd: readFd, readable: true, writable: false });
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      text += chunk;
      if (until(text)) {
        stream.destroy();
        resolve(text);
      }
    });
    stream.on('error', reject);
  });
}

/** A writer on `fd` that counts the lines it drops. */
function countingWriter(fd: number, direct: boolean, maxPendingBytes = 16 * 1024 * 1024): { writer: LineWriter; dropped: () => number } {
  let dropped = 0;
  const writer = new LineWriter({
    fd,
    direct,
    maxPendingBytes,
    onDrop: (n) => {
      dropped += n;
    },
  });
  return { writer, dropped: () => dropped };
}

/** Writes `count` lines, letting the writer run between bursts as an app's event loop would; returns how many it accepted. */
async function offer(writer: LineWriter, count: number, lineOf: (i: number) => string, burst: number): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    if (writer.write(lineOf(i))) accepted++;
    if (i % burst === 0) await new Promise((r) => setImmediate(r));
  }
  return accepted;
}

const line = (i: number): string => `{"i":${i},"msg":"ünïcode ✓ ${'x'.repeat(i % 50)}"}\n`;

// The FIFO is non-blocking, as a stdout pipe is once Node has opened it: both ways of writing apply.
describe.each([
  ['through the thread pool', false],
  ['directly from the event loop', true],
])('the log line writer, writing %s', (_how, direct) => {
  it('delivers every line whole and in order through a pipe', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    const { writer, dropped } = countingWriter(fd, direct);
    const reading = readAll(pipe.readFd, (text) => text.split('\n').length > 20_000);
    for (let i = 0; i < 20_000; i++) writer.write(line(i));
    const text = await reading;
    writer.close();
    closeSync(fd);
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(20_000);
    expect(lines.every((l, i) => `${l}\n` === line(i))).toBe(true);
    expect(dropped()).toBe(0);
  });

  it('with a stuck reader, holds at most its bound, counts each dropped line, then delivers what it accepted', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    const bound = 100_000;
    const { writer, dropped } = countingWriter(fd, direct, bound);
    const offered = 20_000; // about 1.2 MB: far beyond the pipe (64 kB) plus the bound
    const accepted = await offer(writer, offered, line, 500);
    expect(accepted).toBeLessThan(offered);
    expect(dropped()).toBe(offered - accepted);
    // What waits in memory never exceeds the bound (plus the one write the pipe refused).
    expect(writer.pendingLines * 40).toBeLessThanOrEqual(bound);

    const text = await readAll(pipe.readFd, (t) => t.split('\n').length > accepted);
    writer.close();
    closeSync(fd);
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(accepted);
    expect(lines.every((l) => l.startsWith('{"i":') && l.endsWith('"}'))).toBe(true);
  });

  it('writes a line larger than its 64 KiB staging chunk whole, between the lines around it', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    const { writer, dropped } = countingWriter(fd, direct);
    // 40,000 three-byte characters: 120,000 bytes of UTF-8 in one line.
    const big = `{"big":"${'✓'.repeat(40_000)}"}\n`;
    writer.write(line(1));
    writer.write(big);
    writer.write(line(2));
    const text = await readAll(pipe.readFd, (t) => t.split('\n').length > 3);
    writer.close();
    closeSync(fd);
    expect(text).toBe(line(1) + big + line(2));
    expect(dropped()).toBe(0);
  });

  it('bounds what waits in bytes of UTF-8, not characters', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    // Nobody reads: the pipe takes 64 kB, then everything waits. 3-byte characters make bytes three times the characters.
    const bound = 30_000;
    const { writer, dropped } = countingWriter(fd, direct, bound);
    const wide = `${'✓'.repeat(99)}\n`; // 100 characters, 298 bytes
    const accepted = await offer(writer, 2_000, () => wide, 100);
    expect(dropped()).toBe(2_000 - accepted);
    expect(writer.pendingLines * 298).toBeLessThanOrEqual(bound);
    // Counting characters would have let about three times as many lines wait.
    expect(writer.pendingLines).toBeGreaterThan(bound / 298 - 2);
    // Drained before the descriptor closes, so no retry of this writer reaches a later test's descriptor.
    const text = await readAll(pipe.readFd, (t) => t.split('\n').length > accepted);
    writer.close();
    closeSync(fd);
    expect(text.split('\n').filter(Boolean)).toHaveLength(accepted);
  });

  it('flush() resolves once every accepted line is written, each exactly once, the write in flight included', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    const { writer } = countingWriter(fd, direct);
    // The reader starts late: the first write fills the pipe and stays in flight while more lines wait.
    for (let i = 0; i < 5_000; i++) writer.write(line(i));
    await new Promise((r) => setImmediate(r));
    const flushed = writer.flush(10_000);
    for (let i = 5_000; i < 6_000; i++) writer.write(line(i));
    const reading = readAll(pipe.readFd, (text) => text.split('\n').length > 6_000);
    await flushed;
    expect(writer.pendingLines).toBe(0);
    const text = await reading;
    writer.close();
    closeSync(fd);
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(6_000);
    expect(lines.every((l, i) => `${l}\n` === line(i))).toBe(true);
  });

  it('flush() gives up waiting on a stuck reader after its wait, and never rejects', async () => {
    const pipe = fifo();
    const fd = pipe.writeFd();
    const { writer, dropped } = countingWriter(fd, direct);
    for (let i = 0; i < 5_000; i++) writer.write(line(i)); // ~300 kB: the pipe holds 64 kB and nobody reads
    await expect(writer.flush(200)).resolves.toBeUndefined();
    // What the pipe refused is counted, not kept: the synchronous attempt gave up.
    expect(dropped()).toBeGreaterThan(0);
    writer.close();
    closeSync(fd);
  });
});

describe('the log line writer on a real stdout', () => {
  it('writes to a stdout pipe from the event loop: a busy thread pool does not hold lines back', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    // One pool thread, kept busy for a second or more by a key derivation. The
    // parent acknowledges the second line when it reads it; the child says,
    // once the pool is free again, whether that acknowledgement had come.
    const script = `
      const { createTelemetry } = await import(${JSON.stringify(dist)});
      const { pbkdf2 } = await import('node:crypto');
      const t = createTelemetry({ serviceName: 'pool', env: {}, metrics: { server: false, runtime: false }, traces: { exporter: 'none' } });
      let acked = false;
      process.on('message', () => { acked = true; });
      pbkdf2('secret', 'salt', 3_000_000, 64, 'sha512', () => process.send({ acked }, () => process.exit(0)));
      setTimeout(() => t.logger.info('first line'), 20);
      setTimeout(() => t.logger.info('second line'), 300);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    const lines: string[] = [];
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line).msg);
        if (lines.includes('second line') && child.connected) child.send('ack');
      }
    });
    const report = new Promise((r) => child.once('message', r));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(lines).toEqual(['first line', 'second line']);
    // Through the pool, the first write's completion (and so the second write) waits for the key derivation.
    expect(await report).toEqual({ acked: true });
  });

  it('a reader that goes away (EPIPE) makes lines count as dropped, never an exception', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { createTelemetry } = await import(${JSON.stringify(dist)});
      const t = createTelemetry({ serviceName: 'epipe', env: {}, metrics: { server: false, runtime: false }, traces: { exporter: 'none' } });
      process.stdout.on('error', () => {});
      setTimeout(async () => {
        for (let i = 0; i < 2000; i++) t.logger.info({ i }, 'after the reader left');
        await new Promise((r) => setTimeout(r, 200));
        const m = await t.metrics('text');
        process.stderr.write(/periscope_log_lines_dropped_total (\\d+)/.exec(m)[1]);
        process.exit(0);
      }, 300);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(Number(stderr)).toBeGreaterThan(0);
  });
});
