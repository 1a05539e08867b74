import { type ChildProcess, fork } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import type { ReadyMessage } from '@periscope/example-shop-kit';

/** A process the demo started, and how it ended. */
export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string | undefined;
  detached: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: boolean;
}

export interface ForkOptions {
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go; undefined pipes stdout (the caller reads it) and stderr to the terminal. */
  logFile?: string;
  /** Own process group (the services, the traffic generator), so a terminal's Ctrl-C reaches only the demo and `top`. */
  detached: boolean;
  /** Inherit the terminal (for `periscope top`). */
  inheritStdio?: boolean;
}

/** Forks a Node.js script with an IPC channel: the child leaves on its own if the demo dies, even by SIGKILL. */
export function forkChild(name: string, script: string, args: readonly string[], options: ForkOptions): Child {
  const out = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
  const stdio = options.inheritStdio
    ? (['inherit', 'inherit', 'inherit', 'ipc'] as const)
    : (['ignore', out, options.logFile ? out : 'inherit', 'ipc'] as const);
  const child = fork(script, [...args], { env: options.env, detached: options.detached, stdio: [...stdio] });
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    });
  });
  return {
    name,
    process: child,
    logFile: options.logFile,
    detached: options.detached,
    exited,
    get hasExited() {
      return hasExited;
    },
  };
}

/** Resolves with the service's ready message; rejects with the reason it gave (its last log lines) if it exits first. */
export function waitReady(child: Child, timeoutMs: number): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs / 1000}s${tail(child)}`)), timeoutMs);
    child.process.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message);
    });
    void child.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? `code ${code}`}) before it was ready${tail(child)}`));
    });
  });
}

/**
 * Stops a child and everything in its process group: SIGTERM (the services
 * close their servers and flush telemetry), then SIGKILL after `graceMs`.
 */
export async function stopChild(child: Child, graceMs = 6000): Promise<void> {
  if (child.hasExited || child.process.pid === undefined) return;
  const pid = child.process.pid;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      // A detached child leads its own group: -pid reaches the group.
      process.kill(child.detached ? -pid : pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** The last lines a failed child wrote, to say why. */
function tail(child: Child): string {
  if (!child.logFile) return '';
  try {
    const lines = readFileSync(child.logFile, 'utf8').trimEnd().split('\n').slice(-3);
    return lines.length ? `:\n    ${lines.join('\n    ')}` : '';
  } catch {
    return '';
  }
}
