/**
 * Reads what `periscope top --plain` printed: one frame per
 * "periscope top" header, with its route rows, funnel conversions and the
 * trace IDs of its slowest requests. Lines the demo itself writes
 * (`demo: ...`) are skipped.
 */
export interface RouteRow {
  service: string;
  route: string;
  rate: number | undefined;
  errors: string;
  p95Ms: number | undefined;
}

export interface ViewFrame {
  text: string;
  routes: RouteRow[];
  conversions: Record<string, number | undefined>;
  traceIds: string[];
}

const ROW = /^(\S+)\s+((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|_OTHER) \S+)\s+(\S+)\s+(\S+)\s+(\S+)$/;

export function parseFrames(output: string): ViewFrame[] {
  const frames: ViewFrame[] = [];
  let lines: string[] | undefined;
  const flush = () => lines && frames.push(parseFrame(lines));
  for (const line of output.split('\n')) {
    if (line.startsWith('periscope top ')) {
      flush();
      lines = [];
    }
    if (lines && !line.startsWith('demo: ')) lines.push(line);
  }
  flush();
  return frames;
}

function parseFrame(lines: string[]): ViewFrame {
  const routes: RouteRow[] = [];
  const conversions: Record<string, number | undefined> = {};
  const traceIds: string[] = [];
  for (const line of lines) {
    const row = ROW.exec(line);
    if (row) {
      const [, service, route, rate, errors, p95] = row as unknown as string[];
      routes.push({ service: service!, route: route!, rate: rate === '-' ? undefined : Number(rate), errors: errors!, p95Ms: toMs(p95!) });
      continue;
    }
    const funnel = /^FUNNEL (\S+)\s+conversion (\S+)/.exec(line);
    if (funnel) conversions[funnel[1]!] = funnel[2] === '-' ? undefined : Number(funnel[2]);
    const trace = /\btrace (\S+)$/.exec(line);
    if (trace) traceIds.push(trace[1]!);
  }
  return { text: lines.join('\n'), routes, conversions, traceIds };
}

function toMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/** PIDs the demo announced for its children (`... pid 1234`). */
export function announcedPids(output: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const [, name, pid] of output.matchAll(/^demo: (periscope top|[a-z]+) +(?:http\S+ +metrics \S+ +)?pid (\d+)/gm))
    pids.set(name!, Number(pid));
  return pids;
}

/** True while a process with this PID exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
