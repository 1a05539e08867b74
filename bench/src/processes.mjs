/** Child processes pinned to a CPU, and waiting on their IPC messages. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

export const pinning = HAS_TASKSET ? 'taskset' : 'none (taskset not found)';

/**
 * Starts `node <script> ...args` with an IPC channel, pinned with
 * `taskset -c <cpu>` when taskset exists (taskset execs node, so the pid and
 * the channel are node's).
 */
export function spawnNode(script, args, { cpu, nodeArgs = [], stdout = 'inherit', env = process.env }) {
  const command = [process.execPath, ...nodeArgs, script, ...args];
  const [file, ...rest] = HAS_TASKSET ? ['taskset', '-c', String(cpu), ...command] : command;
  const child = spawn(file, rest, { stdio: ['ignore', stdout, 'inherit', 'ipc'], env });
  child.stderrTail = '';
  return child;
}

/** Resolves with the child's next message of `type`; rejects on an `error` message, an exit, or the deadline. */
export function nextMessage(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no '${type}' from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.type === type) done(undefined, message);
      else if (message?.type === 'error') done(new Error(message.message));
    };
    const onExit = (code, signal) => done(new Error(`pid ${child.pid} exited (${signal ?? code}) before '${type}'`));
    function done(error, message) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks a child to stop, then kills it if it has not exited within the grace period. */
export async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The child may be exiting on its own (the load driver does, after its result): with a callback, a
  // send that meets a closed channel (EPIPE) is reported there instead of as an unhandled 'error' event.
  if (child.connected) child.send({ type: 'stop' }, () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) the process has used so far; NaN when /proc cannot say. */
export function cpuSeconds(pid) {
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set size (VmHWM) in bytes; NaN when /proc cannot say. */
export function peakRssBytes(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total CPU seconds of the whole machine, from /proc/stat; undefined when it cannot say. */
export function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = fields[3] + fields[4];
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/**
 * Waits, up to `maxMs`, until the machine is quiet (less than `threshold` of
 * one core busy over half a second) so another job's CPU use does not land in
 * a measurement. Returns how long it waited; the caller says if it gave up.
 */
export async function waitForQuietMachine({ threshold = 0.15, maxMs = 60_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const before = machineCpu();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = machineCpu();
    if (!before || !after) return { waitedMs: 0, quiet: true };
    const busyCores = (after.busy - before.busy) / 0.5;
    const waitedMs = Date.now() - started;
    if (busyCores < threshold) return { waitedMs, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false };
  }
}
