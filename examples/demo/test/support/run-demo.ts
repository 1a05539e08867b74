import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const demoMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Every port from the OS, so tests never collide with each other or a running demo. */
export const FREE_PORTS = {
  WEB_PORT: '0',
  ACCOUNTS_PORT: '0',
  BILLING_PORT: '0',
  WEB_METRICS_PORT: '0',
  ACCOUNTS_METRICS_PORT: '0',
  BILLING_METRICS_PORT: '0',
};

export interface DemoRun {
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code once the demo has exited. */
  exited: Promise<number | null>;
  /** Resolves once stdout contains `pattern` (rejects if the demo exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Runs the built demo headless (stdout is a pipe, so `periscope top` prints plain frames). */
export function runDemo(args: string[], env: Record<string, string> = {}): DemoRun {
  const child = spawn(process.execPath, [demoMain, ...args], {
    env: { ...process.env, ...FREE_PORTS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = stdout.match(pattern);
          if (!match) return;
          waiters.splice(waiters.indexOf(check), 1);
          resolve(match);
        };
        waiters.push(check);
        check();
        void exited.then(() => reject(new Error(`demo exited before printing ${pattern}\n${stdout}\n${stderr}`)));
      });
    },
  };
}
