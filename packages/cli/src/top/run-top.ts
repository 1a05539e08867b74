import { analyze, type Frame, type Scrape } from './analyze.js';
import type { TopOptions } from './args.js';
import { renderFrame } from './render.js';
import { scrapeAll } from './scrape.js';
import { fullScreen, plainScreen, type Screen } from './screen.js';

export interface TopIo {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

/**
 * Runs `periscope top` until Ctrl-C, `q` or SIGTERM (or for one frame with
 * `--once`); resolves with the exit code. Scrapes never overlap: the next
 * one is scheduled when the last frame is drawn.
 */
export async function runTop(options: TopOptions, io: TopIo = { stdout: process.stdout, stdin: process.stdin }): Promise<number> {
  const timeoutMs = Math.min(options.intervalMs, 5000);
  const analyzeOptions = { funnels: options.funnels };
  let previous: Scrape[] = await scrapeAll(options.targets, timeoutMs);

  if (options.once) {
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    const current = await scrapeAll(options.targets, timeoutMs);
    plainScreen(io.stdout).draw(renderFrame(analyze(previous, current, analyzeOptions), { color: false }));
    return current.every((s) => !s.error) ? 0 : 1;
  }

  const screen: Screen = options.tty ? fullScreen(io.stdout) : plainScreen(io.stdout);
  const footer = options.tty ? `every ${options.intervalMs / 1000}s · q or Ctrl-C to quit` : undefined;
  const color = options.tty && !process.env.NO_COLOR;
  let last: Frame = analyze(undefined, previous, analyzeOptions);
  const draw = (): void => {
    const maxRoutes = options.tty ? Math.max(3, (io.stdout.rows || 40) - 12 - options.targets.length * 2 - 5) : undefined;
    screen.draw(renderFrame(last, { color, maxRoutes, footer }));
  };
  if (options.tty) draw();

  return new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = async (): Promise<void> => {
      const current = await scrapeAll(options.targets, timeoutMs);
      if (stopped) return;
      last = analyze(previous, current, analyzeOptions);
      previous = current;
      draw();
      timer = setTimeout(() => void tick(), options.intervalMs);
    };
    timer = setTimeout(() => void tick(), options.intervalMs);

    const onKey = (data: Buffer): void => {
      // Raw mode turns Ctrl-C into a byte instead of SIGINT.
      if (data.includes(0x03) || data.includes(0x71 /* q */)) stop();
    };
    const rawInput = options.tty && io.stdin.isTTY;
    if (rawInput) {
      io.stdin.setRawMode(true);
      io.stdin.on('data', onKey).resume();
    }
    if (options.tty) io.stdout.on('resize', draw);

    function stop(): void {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      process.removeListener('disconnect', stop);
      io.stdout.removeListener('resize', draw);
      if (rawInput) {
        io.stdin.setRawMode(false);
        io.stdin.removeListener('data', onKey).pause();
      }
      screen.close();
      // An open IPC channel would keep this process alive after the last frame.
      if (process.connected) process.disconnect();
      resolve(0);
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Started by a parent with an IPC channel (the demo): leave with it, even if it was killed.
    if (process.connected) process.once('disconnect', stop);
  });
}
