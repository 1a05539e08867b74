import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let dir: string;
beforeAll(async () => {
  // The test drives the built command, as a user would (test.sh builds before testing).
  await run('npx', ['tsup'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  dir = await mkdtemp(join(tmpdir(), 'periscope-cli-'));
  await writeFile(
    join(dir, 'periscope.config.mjs'),
    "export const funnels = { signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'] };\nexport const funnelAlert = { dropThreshold: 0.4 };\n",
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('periscope rules', () => {
  it('writes a rules file that promtool accepts, with the configured alert threshold', async () => {
    const out = join(dir, 'funnels.yml');
    await run(process.execPath, [cli, 'rules', '--config', join(dir, 'periscope.config.mjs'), '--out', out, '--for', '30m']);
    const yaml = await readFile(out, 'utf8');
    expect(yaml).toContain('periscope:funnel_conversion:ratio1h');
    expect(yaml).toContain('< 0.6 * ');
    expect(yaml).toContain('for: "30m"');
    const { stdout } = await run('promtool', ['check', 'rules', out]);
    expect(stdout).toContain('SUCCESS: 13 rules found');
  });

  it('fails with a clear message and exit code when the config has no funnels', async () => {
    await writeFile(join(dir, 'empty.mjs'), 'export const funnels = {};\n');
    const failure = await run(process.execPath, [cli, 'rules', '--config', join(dir, 'empty.mjs')]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('exports no funnels');
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    const failure = await run(process.execPath, [cli, 'bogus']).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('Usage:');
  });

  it.each([
    [['rules'], 'periscope rules: --config is required'],
    [['rules', '--config', 'x.mjs', '--drop-threshold', 'lots'], 'periscope rules: --drop-threshold must be a number, got "lots"'],
    [['rules', '--config', 'x.mjs', '--bogus'], "periscope rules: Unknown option '--bogus'"],
    [['boundaries'], 'periscope boundaries: give exactly one of --metrics'],
    [['top'], 'periscope top: no targets'],
    [['review'], '--prometheus: is required'],
  ])('a usage mistake (%j) names the command and the flag, prints the usage, exits 2', async (args, message) => {
    const failure = await run(process.execPath, [cli, ...args]).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain(message);
    expect((failure as { stderr: string }).stderr).toContain('Usage:');
  });
});
