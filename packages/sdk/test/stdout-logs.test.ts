import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The default log destination (asynchronous stdout) in a real child process. */
describe('logs on stdout', () => {
  it('every line written before process.exit() reaches stdout, in order', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { createTelemetry } = await import(${JSON.stringify(dist)});
      const t = createTelemetry({ serviceName: 'exit', env: {}, metrics: { server: false, runtime: false }, traces: { exporter: 'none' } });
      for (let i = 0; i < 5000; i++) t.logger.info({ i }, 'line');
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const lines = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { i: number; service: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(lines.every((l) => l.service === 'exit')).toBe(true);
  });
});
