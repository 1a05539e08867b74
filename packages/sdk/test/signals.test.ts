import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/signal-child.mjs', import.meta.url));

let backend: Server | undefined;
afterEach(() => backend?.close());

/** An OTLP/HTTP JSON endpoint that answers (healthy) or never answers (black hole). */
async function startBackend(mode: 'healthy' | 'black-hole') {
  const spanNames: string[] = [];
  backend = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spanNames.push(s.name);
      if (mode === 'healthy') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => backend?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1/traces`, spanNames };
}

function runUntilSignal(env: Record<string, string>): Promise<{ signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    proc.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) proc.kill('SIGTERM');
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('shutdown on signals', () => {
  it('SIGTERM flushes queued spans to a healthy backend, then the process exits by the signal', async () => {
    const { url, spanNames } = await startBackend('healthy');
    const result = await runUntilSignal({ OTLP_URL: url });
    expect(result.signal).toBe('SIGTERM');
    expect(spanNames).toEqual(['GET /']);
  });

  it('SIGTERM still exits when the backend never answers', async () => {
    const { url, spanNames } = await startBackend('black-hole');
    const result = await runUntilSignal({ OTLP_URL: url, SHUTDOWN_MS: '500' });
    expect(result.signal).toBe('SIGTERM');
    // The export was attempted (the black hole received it) but could not complete.
    expect(spanNames).toEqual(['GET /']);
  });
});
