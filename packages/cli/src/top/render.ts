import type { Frame, FunnelRow, RouteRow, ServiceStatus } from './analyze.js';

export interface RenderOptions {
  /** ANSI bold/colour. */
  color: boolean;
  /** Most route rows to show (the terminal's height in the full-screen view). */
  maxRoutes?: number;
  footer?: string;
}

/**
 * One frame as lines of text; the full-screen view and the plain summary
 * print the same lines (the plain one without colour), so what a test reads
 * is what a person sees.
 */
export function renderFrame(frame: Frame, options: RenderOptions): string[] {
  const bold = (s: string) => (options.color ? `\x1b[1m${s}\x1b[22m` : s);
  const red = (s: string) => (options.color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (options.color ? `\x1b[2m${s}\x1b[22m` : s);
  const time = new Date(frame.at).toISOString().slice(11, 19);
  const window = frame.windowSeconds ? `last ${frame.windowSeconds.toFixed(1)}s` : 'since start';
  const lines = [bold(`periscope top  ${time} UTC  ${frame.services.length} services  rates over the ${window}`), ''];

  const serviceWidth = Math.max(14, ...frame.services.map((s) => s.service.length));
  const routeWidth = Math.max(24, ...frame.routes.map((r) => r.route.length));
  lines.push(
    bold(
      `${'SERVICE'.padEnd(serviceWidth)}  ${'ROUTE'.padEnd(routeWidth)}  ${'REQ/S'.padStart(7)}  ${'ERRORS'.padStart(7)}  ${'P95'.padStart(8)}`,
    ),
  );
  const rows = sortRoutes(frame.routes);
  const shown = options.maxRoutes === undefined ? rows : rows.slice(0, options.maxRoutes);
  for (const r of shown) {
    const errors = formatRatio(r.errorRatio);
    lines.push(
      `${r.service.padEnd(serviceWidth)}  ${r.route.padEnd(routeWidth)}  ${formatRate(r.rate).padStart(7)}  ${r.errorRatio ? red(errors.padStart(7)) : errors.padStart(7)}  ${formatSeconds(r.p95).padStart(8)}`,
    );
  }
  if (shown.length < rows.length) lines.push(dim(`… ${rows.length - shown.length} more routes`));
  for (const s of frame.services.filter((s) => s.error)) lines.push(red(`${s.service.padEnd(serviceWidth)}  DOWN: ${s.error} (${s.url})`));

  for (const f of frame.funnels) lines.push('', ...renderFunnel(f, bold));
  lines.push(
    '',
    bold(`${'SELF-TELEMETRY'.padEnd(serviceWidth)}  spans exported  spans dropped  export failures  log lines dropped  events dropped`),
  );
  for (const s of frame.services) lines.push(renderSelf(s, serviceWidth, red));
  lines.push('', bold('SLOWEST RECENT REQUESTS (exemplars)'));
  if (frame.slowest.length === 0) lines.push(dim('  none yet'));
  for (const slow of frame.slowest) {
    lines.push(
      `  ${formatSeconds(slow.seconds).padStart(8)}  ${slow.service.padEnd(serviceWidth)}  ${slow.route.padEnd(routeWidth)}  trace ${slow.traceId}`,
    );
  }
  if (options.footer) lines.push('', dim(options.footer));
  return lines;
}

function renderFunnel(f: FunnelRow, bold: (s: string) => string): string[] {
  const steps = f.steps.map((step, i) => {
    const previous = f.steps[i - 1]?.count;
    const ratio = previous ? ` (${((step.count / previous) * 100).toFixed(0)}%)` : '';
    return `${step.event} ${step.count}${ratio}`;
  });
  const conversion = f.conversion === undefined ? '-' : f.conversion.toFixed(3);
  return [bold(`FUNNEL ${f.name}  conversion ${conversion}  (since start)`), `  ${steps.join(' → ')}`];
}

function renderSelf(s: ServiceStatus, width: number, red: (s: string) => string): string {
  if (!s.self) return `${s.service.padEnd(width)}  -`;
  const { spansExported, spansDropped, exportFailures, logLinesDropped, eventsDropped } = s.self;
  const cell = (n: number, width: number, alarming: boolean) =>
    alarming && n > 0 ? red(String(n).padStart(width)) : String(n).padStart(width);
  return `${s.service.padEnd(width)}  ${cell(spansExported, 14, false)}  ${cell(spansDropped, 13, true)}  ${cell(exportFailures, 15, true)}  ${cell(logLinesDropped, 17, true)}  ${cell(eventsDropped, 14, true)}`;
}

function sortRoutes(routes: readonly RouteRow[]): RouteRow[] {
  return [...routes].sort((a, b) => a.service.localeCompare(b.service) || (b.rate ?? 0) - (a.rate ?? 0) || a.route.localeCompare(b.route));
}

export function formatRate(rate: number | undefined): string {
  return rate === undefined ? '-' : rate.toFixed(1);
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '-' : `${(ratio * 100).toFixed(1)}%`;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return seconds >= 1 ? `${seconds.toFixed(2)}s` : `${Math.round(seconds * 1000)}ms`;
}
