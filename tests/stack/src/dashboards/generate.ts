/**
 * `pnpm run dashboards`: writes the generated dashboards into
 * observability/grafana/dashboards. tests/stack/test/dashboards.test.ts
 * fails when the committed files differ from what this writes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildDashboards, renderDashboard } from './index.js';

const target = fileURLToPath(new URL('../../../../observability/grafana/dashboards/', import.meta.url));
await mkdir(target, { recursive: true });
for (const [file, built] of Object.entries(buildDashboards())) {
  await writeFile(`${target}${file}`, renderDashboard(built));
  process.stdout.write(`wrote observability/grafana/dashboards/${file}\n`);
}
