import type { Edge, ModuleGraph } from './graph.js';

/** How the numbers were obtained, printed above the table. */
export interface GraphSource {
  /** e.g. `http://127.0.0.1:9464/metrics (totals since the process started)`. */
  description: string;
}

const ratio = (errors: number, calls: number): number => (calls > 0 ? errors / calls : 0);
const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
const count = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function duration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(2)}s`;
  if (seconds >= 0.001) return `${(seconds * 1000).toFixed(1)}ms`;
  return `${(seconds * 1e6).toFixed(0)}µs`;
}

/** Columns aligned by `align` ('l' or 'r' per column). */
function table(header: string[], rows: string[][], align: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The plain-text report: edges (with their operations) and the extraction candidates. */
export function renderTable(graph: ModuleGraph, source: GraphSource): string {
  if (graph.edges.length === 0) {
    return `No module boundary calls in ${source.description}.\nDoes the service use telemetry.boundary() (or the Nest boundaries option)?\n`;
  }
  const edgeRows = graph.edges.map((e) => [
    e.from,
    e.to,
    count(e.calls),
    count(e.errors),
    percent(ratio(e.errors, e.calls)),
    duration(e.seconds),
    duration(e.calls > 0 ? e.seconds / e.calls : 0),
    [...e.operations.entries()]
      .sort((a, b) => b[1].calls - a[1].calls || a[0].localeCompare(b[0]))
      .map(([name, o]) => (o.errors > 0 ? `${name}(${count(o.calls)}, ${count(o.errors)} err)` : `${name}(${count(o.calls)})`))
      .join(' '),
  ]);
  const moduleRows = graph.modules.map((m, i) => [
    `${i + 1}. ${m.module}`,
    String(m.callers.length),
    count(m.callsIn),
    percent(ratio(m.errorsIn, m.callsIn)),
    duration(m.selfSeconds),
    duration(m.secondsIn),
    duration(m.callsIn > 0 ? m.secondsIn / m.callsIn : 0),
    m.callers.join(','),
  ]);
  return [
    `Module boundaries from ${source.description}`,
    '',
    table(['FROM', 'TO', 'CALLS', 'ERRORS', 'ERR%', 'TIME', 'MEAN', 'OPERATIONS'], edgeRows, 'llrrrrrl'),
    '',
    'Extraction candidates (by SELF: time in the module minus its own calls out; then calls, distinct callers):',
    table(['MODULE', 'CALLERS', 'CALLS', 'ERR%', 'SELF', 'TIME', 'MEAN', 'CALLED BY'], moduleRows, 'lrrrrrrl'),
    '',
  ].join('\n');
}

function edgeLabel(e: Edge): string {
  const parts = [`${count(e.calls)} calls`];
  if (e.errors > 0) parts.push(`${percent(ratio(e.errors, e.calls))} err`);
  if (e.calls > 0) parts.push(`mean ${duration(e.seconds / e.calls)}`);
  return parts.join(', ');
}

/** Edge colour by error ratio: the dashboard's thresholds (none, under 5%, 5% and more). */
function edgeColour(e: Edge): string {
  const r = ratio(e.errors, e.calls);
  if (r >= 0.05) return '#d62728';
  if (r > 0) return '#ff7f0e';
  return '#2ca02c';
}

/** Stroke width 1..6 by share of the busiest edge's calls. */
function edgeWidth(e: Edge, busiest: number): number {
  return busiest > 0 ? Math.max(1, Math.round((e.calls / busiest) * 6)) : 1;
}

function nodeIds(graph: ModuleGraph): Map<string, string> {
  const ids = new Map<string, string>();
  for (const e of graph.edges) {
    for (const name of [e.from, e.to]) {
      if (!ids.has(name)) ids.set(name, `m${ids.size}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`);
    }
  }
  return ids;
}

/** A Mermaid flowchart: one node per module, one labelled edge per `from -> to`, coloured and sized like the dashboard. */
export function renderMermaid(graph: ModuleGraph): string {
  const ids = nodeIds(graph);
  const busiest = Math.max(0, ...graph.edges.map((e) => e.calls));
  const text = (s: string) => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const [name, id] of ids) lines.push(`  ${id}["${text(name)}"]`);
  graph.edges.forEach((e) => {
    lines.push(`  ${ids.get(e.from)} -->|"${text(edgeLabel(e))}"| ${ids.get(e.to)}`);
  });
  graph.edges.forEach((e, i) => {
    lines.push(`  linkStyle ${i} stroke:${edgeColour(e)},stroke-width:${edgeWidth(e, busiest)}px`);
  });
  return `${lines.join('\n')}\n`;
}

/** A Graphviz digraph (render with `dot -Tsvg`). */
export function renderDot(graph: ModuleGraph): string {
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const busiest = Math.max(0, ...graph.edges.map((e) => e.calls));
  const lines = ['digraph modules {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const names = new Set(graph.edges.flatMap((e) => [e.from, e.to]));
  for (const name of names) lines.push(`  ${quote(name)};`);
  for (const e of graph.edges) {
    lines.push(
      `  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(edgeLabel(e))}, color=${quote(edgeColour(e))}, penwidth=${edgeWidth(e, busiest)}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
