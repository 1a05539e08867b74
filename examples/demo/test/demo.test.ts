import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.js', import.meta.url));

describe('the README demo', () => {
  it('runs, serves traffic and shows metrics, a cross-service trace and its log lines', async () => {
    const { stdout } = await run(process.execPath, [main, '--seconds', '3'], {
      env: { ...process.env, PORT: '0', METRICS_PORT: '0' },
      timeout: 50_000,
    });
    expect(stdout).toContain('== RED metrics of catalogue');
    expect(stdout).toMatch(/http_route="\/products\/:id",http_response_status_code="200"\} \d+/);
    expect(stdout).toContain('http_route="unmatched"');
    const trace = stdout.match(/== One trace \(([0-9a-f]{32})\)/);
    expect(trace).not.toBeNull();
    // The trace has a catalogue server span, its client span, and pricing's server span.
    expect(stdout).toMatch(/catalogue\s+SERVER\s+GET \/products\/:id/);
    expect(stdout).toMatch(/catalogue\s+CLIENT\s+GET/);
    expect(stdout).toMatch(/pricing\s+SERVER\s+GET \/prices\/:id/);
    const logs = stdout.split('== Its log lines')[1] ?? '';
    expect(logs).toContain('"service":"pricing"');
    expect(logs).toContain('"service":"catalogue"');
  });
});
