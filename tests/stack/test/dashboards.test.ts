import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildDashboards, renderDashboard } from '../src/dashboards/index.js';
import { DASHBOARD_FILES, readJson, repoPath } from './support/repo.js';

interface Board {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string }> };
  panels: Array<{ title: string; type: string; targets?: Array<{ expr?: string; exemplar?: boolean }> }>;
}

describe('dashboards as code', () => {
  it('regenerating them changes nothing in observability/grafana/dashboards (run `pnpm run dashboards` after a change)', async () => {
    const built = buildDashboards();
    expect(Object.keys(built).sort()).toEqual([...DASHBOARD_FILES].sort());
    for (const [file, board] of Object.entries(built)) {
      expect(await readFile(repoPath(`observability/grafana/dashboards/${file}`), 'utf8'), file).toBe(renderDashboard(board));
    }
  });

  it('are five dashboards with distinct UIDs, each with panels', async () => {
    const boards = await Promise.all(DASHBOARD_FILES.map((file) => readJson<Board>(`observability/grafana/dashboards/${file}`)));
    expect(new Set(boards.map((board) => board.uid)).size).toBe(5);
    for (const board of boards) expect(board.panels.filter((panel) => panel.type !== 'row').length, board.title).toBeGreaterThan(3);
  });

  it('the RED overview has service, route and env variables, and latency quantiles with exemplars on', async () => {
    const red = await readJson<Board>('observability/grafana/dashboards/periscope-red.json');
    expect(red.templating.list.map((variable) => variable.name)).toEqual(['env', 'service', 'route']);
    const latency = red.panels.find((panel) => panel.title.startsWith('Latency p50'));
    const exprs = latency?.targets?.filter((target) => target.exemplar).map((target) => target.expr) ?? [];
    expect(exprs).toHaveLength(3);
    for (const q of ['0.5', '0.95', '0.99']) expect(exprs.some((expr) => expr?.startsWith(`histogram_quantile(${q},`))).toBe(true);
  });

  it('the business dashboard reads the funnel conversion rules and compares with last week', async () => {
    const business = await readJson<Board>('observability/grafana/dashboards/periscope-business.json');
    const exprs = business.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr ?? '');
    expect(exprs.some((expr) => expr.includes('periscope:funnel_conversion:ratio5m'))).toBe(true);
    expect(exprs.some((expr) => expr.includes('offset 1w'))).toBe(true);
    expect(exprs.some((expr) => expr.includes('business_event_value_total'))).toBe(true);
  });

  it('the boundaries dashboard has the module node graph, the hottest boundaries and the extraction candidates', async () => {
    type Panel = Board['panels'][number] & { transformations?: Array<{ id: string; options: unknown }> };
    const board = await readJson<Board>('observability/grafana/dashboards/periscope-boundaries.json');
    const byTitle = new Map((board.panels as Panel[]).map((panel) => [panel.title, panel]));
    const nodeGraph = byTitle.get('Module graph');
    expect(nodeGraph?.type).toBe('nodeGraph');
    const exprs = nodeGraph?.targets?.map((target) => target.expr ?? '') ?? [];
    // Nodes and edges carry the fields Grafana's node graph reads (id; source and target on one edge query only,
    // so the joins leave one column of each), joined on id.
    expect(exprs.filter((expr) => expr.startsWith('sum by (id, source, target) (label_join('))).toHaveLength(1);
    expect(exprs.filter((expr) => expr.startsWith('sum by (id) (label_join(') && expr.includes('"->"'))).toHaveLength(2);
    const organize = nodeGraph?.transformations?.find((t) => t.id === 'organize')?.options as { renameByName: Record<string, string> };
    expect(Object.values(organize.renameByName).sort()).toEqual(['color', 'mainstat', 'mainstat', 'nodeRadius', 'secondarystat']);
    expect(byTitle.get('Hottest boundaries')?.type).toBe('table');
    const candidates = byTitle.get('Extraction candidates');
    expect(candidates?.type).toBe('table');
    expect(candidates?.targets?.map((target) => target.expr).join('\n')).toContain('count by (to_module)');
  });
});
