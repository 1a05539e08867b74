import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchedService, type WatchedService } from './support/instrumented-service.js';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// A private tmux server: nothing shared with a user's sessions or another test run.
const socket = `periscope-top-${process.pid}`;
const tmux = async (...args: string[]): Promise<string> =>
  (await exec('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env: { ...process.env, TMUX: '' } })).stdout;
const capture = () => tmux('capture-pane', '-p', '-t', 'top');

/** Polls `read` every 200 ms until `done` holds, at most `tries` times; returns the last value. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 50): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

let service: WatchedService;
beforeAll(async () => {
  service = await startWatchedService();
  // The shell reports top's exit status on the normal screen, then stays a while: tmux 3.3 can drop the last
  // output of a pane whose process exits at once. It ignores SIGINT itself; Node installs its own handler.
  const command = `trap '' INT; ${process.execPath} ${cli} top watched=${service.metricsUrl} --funnel signup=landing.viewed,user.signed_up --interval 500ms; echo "top exited with status $?"; sleep 30`;
  await tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '40', command);
});
afterAll(async () => {
  await tmux('kill-server').catch(() => {});
  await service?.stop();
});

describe('periscope top in a real terminal (tmux)', () => {
  it('draws the full-screen view and redraws it with new numbers', async () => {
    const first = await poll(capture, (text) => /watched\s+GET \/work\s+\d+\.\d/.test(text));
    expect(first).toMatch(/SERVICE\s+ROUTE\s+REQ\/S\s+ERRORS\s+P95/);
    expect(first).toMatch(/watched\s+GET \/work\s+\d+\.\d/);
    const next = await poll(capture, (text) => text !== first);
    expect(next).not.toBe(first);
    expect(next).toMatch(/FUNNEL signup\s+conversion 0\.\d+/);
    expect(next).toMatch(/trace [0-9a-f]{32}/);
  });

  it('exits with status 0 on Ctrl-C and gives the terminal its screen back', async () => {
    expect(await capture(), 'running before Ctrl-C').not.toContain('top exited');
    await tmux('send-keys', '-t', 'top', 'C-c');
    // Leaving the alternate screen restores the normal one, where the shell wrote top's exit status.
    const after = await poll(capture, (text) => text.includes('top exited with status'));
    expect(after).toContain('top exited with status 0');
    expect(after).not.toContain('SLOWEST RECENT REQUESTS');
  });
});
