import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULE_FILES, repoPath, run } from './support/repo.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'periscope-promtool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['observability/prometheus/prometheus.yml', 'observability/prometheus/prometheus.scale.yml'])('%s', (file) => {
  it('passes promtool check config, with its rule files loaded', async () => {
    // rule_files name the path inside the container; point a copy at the repo's rules so they are checked too
    const text = await readFile(repoPath(file), 'utf8');
    const copy = text.replace('/etc/prometheus/rules/*.yml', repoPath('observability/prometheus/rules/*.yml'));
    expect(copy).not.toBe(text);
    const path = join(dir, 'prometheus.yml');
    await writeFile(path, copy);
    const result = await run('promtool', ['check', 'config', path]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    for (const rules of RULE_FILES) expect(result.stdout).toContain(repoPath(rules));
    expect(result.code).toBe(0);
  });

  it('scrapes the example services by compose name and on the host, each with a service label', async () => {
    const config = parse(await readFile(repoPath(file), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
    };
    const periscope = config.scrape_configs.find((job) => job.job_name === 'periscope');
    const targets = Object.fromEntries(
      periscope?.static_configs.flatMap((group) => group.targets.map((t) => [t, group.labels?.service])) ?? [],
    );
    expect(targets).toMatchObject({ 'web:9464': 'web', 'accounts:9464': 'accounts', 'billing:9464': 'billing' });
    expect(Object.keys(targets).filter((t) => t.startsWith('host.docker.internal:'))).toHaveLength(3);
  });
});

describe('rules', () => {
  it.each(RULE_FILES)('%s passes promtool check rules', async (file) => {
    const result = await run('promtool', ['check', 'rules', repoPath(file)]);
    expect(result.stdout).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('funnels.yml is what `periscope rules` writes for funnels.config.mjs today', async () => {
    const out = join(dir, 'funnels.yml');
    const result = await run('node', [
      repoPath('packages/cli/dist/cli.js'),
      'rules',
      '--config',
      repoPath('observability/prometheus/funnels.config.mjs'),
      '--out',
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(repoPath('observability/prometheus/rules/funnels.yml'), 'utf8')).toBe(await readFile(out, 'utf8'));
  });

  it('has a page and a ticket alert for availability and for latency', async () => {
    const slo = parse(await readFile(repoPath('observability/prometheus/rules/slo.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert?: string; labels?: { severity: string } }> }>;
    };
    const alerts = slo.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
    expect(alerts.map((rule) => `${rule.alert} ${rule.labels?.severity}`).sort()).toEqual([
      'PeriscopeAvailabilityBudgetBurnFast page',
      'PeriscopeAvailabilityBudgetBurnSlow ticket',
      'PeriscopeLatencyBudgetBurnFast page',
      'PeriscopeLatencyBudgetBurnSlow ticket',
    ]);
  });
});

describe('SLO alert unit tests (promtool test rules)', () => {
  const TESTS = ['observability/prometheus/tests/slo.test.yml', 'observability/prometheus/tests/slo-long.test.yml'] as const;

  it.each(TESTS)('%s: each alert fires on its burn and stays silent without one', async (file) => {
    const result = await run('promtool', ['test', 'rules', repoPath(file)]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it.each([
    ['(14.4 * 0.001)', '(144 * 0.001)', 0, 'PeriscopeAvailabilityBudgetBurnFast'],
    ['(6 * 0.001)', '(60 * 0.001)', 0, 'PeriscopeAvailabilityBudgetBurnFast'],
    ['(3 * 0.001)', '(30 * 0.001)', 1, 'PeriscopeAvailabilityBudgetBurnSlow'],
    ['(1 * 0.001)', '(10 * 0.001)', 1, 'PeriscopeAvailabilityBudgetBurnSlow'],
  ] as const)('the unit tests fail when the threshold %s is written %s', async (right, wrong, testFile, alert) => {
    const rules = await readFile(repoPath('observability/prometheus/rules/slo.yml'), 'utf8');
    const broken = rules.replaceAll(right, wrong);
    expect(broken).not.toBe(rules);
    const case_ = join(dir, `${alert}-${wrong.replace(/\W/g, '')}`);
    await mkdir(case_, { recursive: true });
    await writeFile(join(case_, 'slo.yml'), broken);
    const tests = await readFile(repoPath(TESTS[testFile]), 'utf8');
    await writeFile(join(case_, 'slo.test.yml'), tests.replace('../rules/slo.yml', 'slo.yml'));
    const result = await run('promtool', ['test', 'rules', join(case_, 'slo.test.yml')]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(alert);
  });
});
