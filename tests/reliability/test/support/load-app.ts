import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type ParsedExposition, parseExposition, samplesOf } from '../../../../packages/sdk/test/support/parse-metrics.js';

/** `test/fixtures/load-app.mjs` running as its own process (Express or Fastify, through its plugin). */
export interface LoadApp {
  readonly framework: 'express' | 'fastify';
  readonly url: string;
  readonly metricsUrl: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Everything written on stdout so far (the service's log lines when `LOGS=stdout`). */
  stdout(): string;
  stderr(): string;
  /** Resident set size now, from /proc (outside the process: no help from the code under test). */
  rss(): number;
  metrics(): Promise<ParsedExposition>;
  /** Warnings and unhandled rejections seen by the service, requests inside handlers now; with `gc`, the heap after a full collection. */
  stats(gc?: boolean): Promise<AppStats>;
  /** Resolves when the process has exited; `at` is `performance.now()` then. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): Promise<void>;
}

export interface AppStats {
  warnings: string[];
  unhandledRejections: number;
  inflight: number;
  heapUsed: number;
  rss: number;
}

const FIXTURE = fileURLToPath(new URL('../fixtures/load-app.mjs', import.meta.url));

/** Starts the service with `env` (see the fixture) and resolves once it listens. */
export function startLoadApp(framework: 'express' | 'fastify', env: Record<string, string>): Promise<LoadApp> {
  const child = spawn(process.execPath, ['--expose-gc', FIXTURE], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, ...env, FRAMEWORK: framework },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void exited.then(({ code, signal }) => reject(new Error(`load app exited early (${code ?? signal}): ${stderr}`)));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const ready = /^READY (.+)$/m.exec(stderr);
      if (!ready?.[1]) return;
      const info = JSON.parse(ready[1]) as { url: string; metricsUrl: string; controlUrl: string; pid: number };
      resolve({
        framework,
        url: info.url,
        metricsUrl: info.metricsUrl,
        pid: info.pid,
        process: child,
        stdout: () => stdout,
        stderr: () => stderr,
        rss: () => rssOf(info.pid),
        metrics: async () => parseExposition(await (await fetch(info.metricsUrl)).text()),
        stats: async (gc = false) => (await (await fetch(`${info.controlUrl}/stats${gc ? '?gc=1' : ''}`)).json()) as AppStats,
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** VmRSS of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return kb ? Number(kb[1]) * 1024 : Number.NaN;
}

/** Samples `read()` every `everyMillis` until stopped; returns the samples. */
export function sampleEvery(everyMillis: number, read: () => number): { stop(): number[] } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(read());
    } catch {
      // the process has exited
    }
  };
  take();
  const timer = setInterval(take, everyMillis);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** The sum of a counter's samples matching `labels` (0 when the series does not exist yet). */
export function total(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(parsed, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}
