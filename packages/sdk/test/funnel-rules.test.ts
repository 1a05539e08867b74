import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funnelRules } from '../src/index.js';

const run = promisify(execFile);
const funnels = { signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'] };
const ratioLabels = (from: string, to: string) => `{funnel="signup",from_step="${from}",to_step="${to}"}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'periscope-rules-'));
  await writeFile(join(dir, 'funnels.yml'), funnelRules(funnels, { dropThreshold: 0.3, for: '15m' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool is missing: run ./scripts/test.sh, which installs Debian's prometheus package");
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Synthetic series at 5-minute steps over a bit more than a week: landing
 * views at 1/s, sign-ups at 20% of them, checkouts at 50% of sign-ups. In the
 * "drop" scenario checkouts fall to a fifth from step 2030 (~7d 1h), so the
 * 1h conversion is far below the same hour a week earlier. Evaluated at
 * 10300m (~2h later), after the alert's 15m hold.
 */
function unitTest(checkouts: string, expectAlert: boolean): string {
  const alert = expectAlert
    ? `        exp_alerts:
          - exp_labels: { alertname: PeriscopeFunnelConversionDropped, funnel: signup, severity: warning }
            exp_annotations:
              summary: 'Funnel signup: conversion landing.viewed -> checkout.completed fell more than 30% against the same hour last week'
              description: '1h conversion is 2%; see the business events dashboard and the traces of the steps.'`
    : '        exp_alerts: []';
  return `rule_files: [funnels.yml]
evaluation_interval: 5m
tests:
  - interval: 5m
    input_series:
      - series: 'business_events_total{event="landing.viewed",plan="free"}'
        values: '0+300x2100'
      - series: 'business_events_total{event="user.signed_up",plan="free"}'
        values: '0+60x2100'
      - series: 'business_events_total{event="checkout.completed",plan="free"}'
        values: '${checkouts}'
    promql_expr_test:
      - expr: 'periscope:funnel_step_events:rate5m{step="landing.viewed"}'
        eval_time: 10300m
        exp_samples:
          - labels: 'periscope:funnel_step_events:rate5m{funnel="signup",step="landing.viewed",step_index="1"}'
            value: 1
      - expr: 'periscope:funnel_conversion:ratio5m${ratioLabels('landing.viewed', 'user.signed_up')}'
        eval_time: 10300m
        exp_samples:
          - labels: 'periscope:funnel_conversion:ratio5m${ratioLabels('landing.viewed', 'user.signed_up')}'
            value: 0.2
      - expr: 'periscope:funnel_conversion:ratio1h${ratioLabels('landing.viewed', 'checkout.completed')}'
        eval_time: 10300m
        exp_samples:
          - labels: 'periscope:funnel_conversion:ratio1h${ratioLabels('landing.viewed', 'checkout.completed')}'
            value: ${expectAlert ? 0.02 : 0.1}
    alert_rule_test:
      - eval_time: 10300m
        alertname: PeriscopeFunnelConversionDropped
${alert}
`;
}

const STEADY = '0+30x2100';
const DROP = '0+30x2029 60900+6x70';

describe('generated funnel rules', () => {
  it('pass promtool check rules', async () => {
    const result = await promtool('check', 'rules', 'funnels.yml');
    expect(result.output).toContain('SUCCESS: 13 rules found');
    expect(result.ok).toBe(true);
  });

  it('compute step rates and conversion ratios, and stay silent without a drop (promtool test rules)', async () => {
    await writeFile(join(dir, 'steady.test.yml'), unitTest(STEADY, false));
    const result = await promtool('test', 'rules', 'steady.test.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('fire the conversion alert when checkouts drop against the same hour last week', async () => {
    await writeFile(join(dir, 'drop.test.yml'), unitTest(DROP, true));
    const result = await promtool('test', 'rules', 'drop.test.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('the unit test can fail: expecting an alert on steady traffic is refused by promtool', async () => {
    await writeFile(join(dir, 'wrong.test.yml'), unitTest(STEADY, true).replace('value: 0.1', 'value: 0.02'));
    const result = await promtool('test', 'rules', 'wrong.test.yml');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/FAILED/);
  });
});
