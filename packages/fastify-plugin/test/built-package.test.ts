import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, type Harness } from './helpers.js';
import { expectRecordedOnce } from './observed.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtEntry = join(packageDir, 'dist', 'index.js');

/** Newest modification time under `dir`. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );
}

function isStale(): boolean {
  try {
    return statSync(builtEntry).mtimeMs < newest(join(packageDir, 'src'));
  } catch {
    return true;
  }
}

let harness: Harness;

beforeAll(() => {
  // Rebuild only when dist is missing or older than src: tsup cleans dist
  // first, and other suites may be importing it at the same moment.
  if (isStale()) execFileSync('npx', ['tsup'], { cwd: packageDir, stdio: 'pipe' });
  harness = createHarness();
}, 120_000);

afterAll(async () => {
  await harness.telemetry.shutdown();
});

test('plain Node loads the built package both ways: ESM import and CJS require', () => {
  const script = `
    import { createRequire } from 'node:module';
    import { join } from 'node:path';
    const esm = await import('@periscope/fastify');
    const cjs = createRequire(join(process.cwd(), 'index.js'))('@periscope/fastify');
    const meta = (plugin) => plugin[Symbol.for('plugin-meta')];
    console.log(JSON.stringify({
      esmKeys: Object.keys(esm).sort(),
      cjsKeys: Object.keys(cjs).filter((key) => key !== '__esModule').sort(),
      esm: meta(esm.periscope),
      cjs: meta(cjs.periscope),
      esmFile: import.meta.resolve('@periscope/fastify'),
    }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
  const loaded = JSON.parse(output) as Record<string, unknown>;
  expect(loaded).toEqual({
    esmKeys: ['periscope'],
    cjsKeys: ['periscope'],
    esm: { name: '@periscope/fastify', fastify: '5.x' },
    cjs: { name: '@periscope/fastify', fastify: '5.x' },
    esmFile: `file://${builtEntry}`,
  });
});

test('the CJS build, loaded with createRequire, instruments an app built on the ESM SDK', async () => {
  const require = createRequire(import.meta.url);
  const resolved = require.resolve('@periscope/fastify');
  expect(resolved).toBe(join(packageDir, 'dist', 'index.cjs'));
  const { periscope } = require('@periscope/fastify') as typeof import('../src/index.js');

  await expect(Fastify().register(periscope, {} as never)).rejects.toMatchObject({ code: 'PERISCOPE_MISSING_TELEMETRY' });

  const app = Fastify({ logger: false });
  await app.register(periscope, { telemetry: harness.telemetry });
  app.get('/users/:id', async () => 'cjs');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const response = await fetch(`${url}/users/5`);
    expect(await response.text()).toBe('cjs');
    await expectRecordedOnce(harness, { route: '/users/:id', path: '/users/5', status: 200 }, response.headers);
  } finally {
    await app.close();
  }
});
