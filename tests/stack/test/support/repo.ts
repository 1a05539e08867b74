import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Absolute path of a file in the repository. */
export const repoPath = (relative: string): string => fileURLToPath(new URL(`../../../../${relative}`, import.meta.url));

export async function readYaml<T = unknown>(relative: string): Promise<T> {
  return parse(await readFile(repoPath(relative), 'utf8')) as T;
}

export async function readJson<T = unknown>(relative: string): Promise<T> {
  return JSON.parse(await readFile(repoPath(relative), 'utf8')) as T;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects, the exit code is in the result. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? repoPath(''), env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        resolve({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? String(error.message) : '') });
      },
    );
  });
}

export const COMPOSE_FILES = ['docker-compose.observability.yml', 'docker-compose.scale.yml'] as const;
export const RULE_FILES = ['observability/prometheus/rules/slo.yml', 'observability/prometheus/rules/funnels.yml'] as const;
export const DASHBOARD_FILES = [
  'periscope-red.json',
  'periscope-business.json',
  'periscope-runtime.json',
  'periscope-slo.json',
  'periscope-boundaries.json',
] as const;
