import { writeFile } from 'node:fs/promises';
import type { BoundariesOptions } from './args.js';
import { buildGraph, type ModuleGraph } from './graph.js';
import { renderDot, renderMermaid, renderTable } from './render.js';
import { fromMetricsPage, fromPrometheus, SourceError } from './source.js';

export interface BoundariesIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: BoundariesIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Reads the graph and prints it; 0 on success (also with an empty graph), 1 when the source cannot be read. */
export async function runBoundaries(options: BoundariesOptions, io: BoundariesIo = processIo): Promise<number> {
  let graph: ModuleGraph;
  let description: string;
  try {
    if (options.source.kind === 'metrics') {
      graph = buildGraph(await fromMetricsPage(options.source.url, options.timeoutMs));
      description = `${options.source.url} (totals since the process started)`;
    } else {
      graph = buildGraph(await fromPrometheus(options.source.url, options.source.window, options.timeoutMs));
      description = `${options.source.url} (increase over the last ${options.source.window})`;
    }
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    io.stderr(`periscope boundaries: cannot read ${error.message}\n`);
    return 1;
  }
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ edges: graph.edges.map((e) => ({ ...e, operations: Object.fromEntries(e.operations) })), modules: graph.modules }, null, 2)}\n`,
    );
  } else {
    io.stdout(renderTable(graph, { description }));
  }
  if (options.mermaid) {
    await writeFile(options.mermaid, renderMermaid(graph));
    io.stderr(`periscope boundaries: wrote ${options.mermaid}\n`);
  }
  if (options.dot) {
    await writeFile(options.dot, renderDot(graph));
    io.stderr(`periscope boundaries: wrote ${options.dot}\n`);
  }
  return 0;
}
