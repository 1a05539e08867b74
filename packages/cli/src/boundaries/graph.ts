/**
 * The module graph of a modular monolith, from Periscope's boundary metrics:
 * `module_calls_total{from_module, to_module, operation, outcome}` and
 * `module_call_duration_seconds{from_module, to_module}`. Edges carry call
 * counts (or increases over a window), errors and time spent; modules are
 * ranked as extraction candidates.
 */

/** One `from -> to` edge and what crossed it. */
export interface Edge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  /** Seconds spent in calls across this edge (the histogram's `_sum`). */
  seconds: number;
  /** Calls and errors by operation of the called module. */
  operations: Map<string, { calls: number; errors: number }>;
}

/** A called module, ranked by the load and latency it takes and by how many modules depend on it. */
export interface ModuleRank {
  module: string;
  callsIn: number;
  errorsIn: number;
  /** Time spent in calls into the module, nested calls included. */
  secondsIn: number;
  /** Time the module itself spent waiting on calls it made to other modules. */
  secondsOut: number;
  /** `secondsIn - secondsOut` (at least 0): the latency the module contributes on its own. */
  selfSeconds: number;
  callers: string[];
}

export interface ModuleGraph {
  edges: Edge[];
  modules: ModuleRank[];
}

/** One value of a metric, as both the `/metrics` reader and a Prometheus vector give it. */
export interface MetricPoint {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export const CALLS = 'module_calls_total';
export const DURATION_SUM = 'module_call_duration_seconds_sum';

/** Builds the graph from points of `module_calls_total` and `module_call_duration_seconds_sum`; other points are ignored. */
export function buildGraph(points: readonly MetricPoint[]): ModuleGraph {
  const edges = new Map<string, Edge>();
  const edgeOf = (from: string, to: string): Edge => {
    const key = `${from}\u0000${to}`;
    let edge = edges.get(key);
    if (!edge) {
      edge = { from, to, calls: 0, errors: 0, seconds: 0, operations: new Map() };
      edges.set(key, edge);
    }
    return edge;
  };
  for (const point of points) {
    const { from_module: from, to_module: to } = point.labels;
    if (from === undefined || to === undefined || !Number.isFinite(point.value)) continue;
    if (point.name === CALLS) {
      const edge = edgeOf(from, to);
      const failed = point.labels.outcome === 'error';
      edge.calls += point.value;
      if (failed) edge.errors += point.value;
      const name = point.labels.operation ?? 'unknown';
      const operation = edge.operations.get(name) ?? { calls: 0, errors: 0 };
      operation.calls += point.value;
      if (failed) operation.errors += point.value;
      edge.operations.set(name, operation);
    } else if (point.name === DURATION_SUM) {
      edgeOf(from, to).seconds += point.value;
    }
  }
  const list = [...edges.values()].filter((e) => e.calls > 0 || e.seconds > 0);
  list.sort((a, b) => b.calls - a.calls || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { edges: list, modules: rankModules(list) };
}

/**
 * Extraction candidates: modules called by others, ranked by the latency
 * they contribute themselves (time in calls to them minus the time they wait
 * on the modules they call), then by calls, then by distinct callers. Entry
 * points (`http`, `none`) call but are never called, so they do not appear.
 * Concurrent outgoing calls can make the subtraction undercount; it is
 * clamped at zero.
 */
function rankModules(edges: readonly Edge[]): ModuleRank[] {
  const modules = new Map<string, ModuleRank>();
  for (const edge of edges) {
    const rank = modules.get(edge.to) ?? {
      module: edge.to,
      callsIn: 0,
      errorsIn: 0,
      secondsIn: 0,
      secondsOut: 0,
      selfSeconds: 0,
      callers: [],
    };
    rank.callsIn += edge.calls;
    rank.errorsIn += edge.errors;
    rank.secondsIn += edge.seconds;
    if (!rank.callers.includes(edge.from)) rank.callers.push(edge.from);
    modules.set(edge.to, rank);
  }
  for (const edge of edges) {
    const caller = modules.get(edge.from);
    if (caller) caller.secondsOut += edge.seconds;
  }
  for (const rank of modules.values()) {
    rank.callers.sort();
    rank.selfSeconds = Math.max(0, rank.secondsIn - rank.secondsOut);
  }
  return [...modules.values()].sort(
    (a, b) =>
      b.selfSeconds - a.selfSeconds || b.callsIn - a.callsIn || b.callers.length - a.callers.length || a.module.localeCompare(b.module),
  );
}
