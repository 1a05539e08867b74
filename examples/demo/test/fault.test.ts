import { describe, expect, it } from 'vitest';
import { minus, p95, routeBuckets } from './support/bucket-p95.js';
import { parseFrames } from './support/frames.js';
import { runDemo } from './support/run-demo.js';

describe('fault injection through the demo', () => {
  it('billing:latency raises billing POST /checkouts p95 above its value before the window, in the metrics and in the view', async () => {
    const run = runDemo([
      '--seconds',
      '14',
      '--interval',
      '2s',
      '--rate',
      '10',
      '--fault',
      'billing:latency=500ms',
      '--fault-after',
      '5s',
      '--fault-window',
      '60s',
    ]);
    const [, metricsUrl] = await run.waitFor(/^demo: billing\s+\S+\s+metrics (\S+)/m);

    // Metrics: everything billing served before the window, against what it served inside it.
    await run.waitFor(/fault window open/);
    const before = await routeBuckets(metricsUrl as string, 'POST', '/checkouts');
    const p95Before = p95(before);
    expect(p95Before, 'checkouts before the window').toBeDefined();
    let p95Inside: number | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      p95Inside = p95(minus(await routeBuckets(metricsUrl as string, 'POST', '/checkouts'), before));
      if (p95Inside !== undefined && p95Inside > (p95Before as number)) break;
    }
    expect(p95Inside).toBeGreaterThan(p95Before as number);

    // The view: the last frame printed before the window opened, against the last one inside it.
    expect(await run.exited, run.stderr).toBe(0);
    const split = run.stdout.indexOf('fault window open');
    const billingP95 = (text: string) =>
      parseFrames(text)
        .map((f) => f.routes.find((r) => r.service === 'billing' && r.route === 'POST /checkouts')?.p95Ms)
        .filter((ms): ms is number => ms !== undefined);
    const viewBefore = billingP95(run.stdout.slice(0, split)).at(-1);
    const viewInside = billingP95(run.stdout.slice(split)).at(-1);
    expect(viewBefore, run.stdout).toBeDefined();
    expect(viewInside, run.stdout).toBeGreaterThan(viewBefore as number);
  });
});
