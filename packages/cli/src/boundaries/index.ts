export type { BoundariesOptions } from './args.js';
export { BOUNDARIES_USAGE, BoundariesUsageError, parseBoundariesArgs } from './args.js';
export type { Edge, MetricPoint, ModuleGraph, ModuleRank } from './graph.js';
export { buildGraph } from './graph.js';
export { renderDot, renderMermaid, renderTable } from './render.js';
export { runBoundaries } from './run-boundaries.js';
