import type { ReviewReport, RouteStats, Section, SignalTimeline } from './model.js';

/** `2026-11-29T02:10:15Z` */
export const iso = (t: number): string => new Date(Math.round(t) * 1000).toISOString().replace('.000Z', 'Z');
const clock = (t: number | null): string => (t === null ? '—' : new Date(Math.round(t) * 1000).toISOString().slice(11, 19));
const duration = (s: number): string =>
  s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
const ms = (s: number | null): string => (s === null ? '—' : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
const pct = (r: number | null): string => (r === null ? '—' : `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`);
const rate = (r: number | null): string => (r === null ? '—' : r >= 10 ? r.toFixed(0) : r.toFixed(2));
const signed = (c: number | null): string => (c === null ? '—' : `${c >= 0 ? '+' : '−'}${Math.abs(Math.round(c * 100))}%`);
const cell = (text: string): string => text.replace(/\|/g, '\\|');
const pair = (base: string, now: string): string => (base === now ? now : `${base} → ${now}`);

function value(signal: SignalTimeline['signal'], v: number): string {
  if (signal === 'errorRatio') return pct(v);
  if (signal === 'p95') return ms(v);
  return `${rate(v)}/s`;
}

function status(name: string, section: Section): string {
  const word = { ok: 'complete', partial: 'partial', skipped: 'skipped', failed: 'failed' }[section.status];
  return `| ${name} | ${word} | ${cell(section.notes.join('; ') || '—')} |`;
}

/** The report as Markdown: summary, impact, timeline, evidence, and what is missing. */
export function renderMarkdown(report: ReviewReport): string {
  const out: string[] = [];
  const { impact, timeline, evidence } = report;
  const affected = impact.routes.filter((r) => r.affected);
  out.push(`# Incident review: ${iso(report.window.from)} → ${iso(report.window.to)}`, '');
  out.push(
    `Window ${duration(report.window.seconds)}, compared with ${report.baseline.description} (${iso(report.baseline.from)} → ${iso(report.baseline.to)}). ` +
      `Step ${report.step} s${report.scrapeInterval !== null ? ` (scrape interval ${report.scrapeInterval} s)` : ''}. ` +
      `Services: ${report.services.length ? report.services.join(', ') : 'all'}. Generated ${iso(Date.parse(report.generatedAt) / 1000)} by \`periscope review\`; ` +
      `${report.queries.total - report.queries.failed} of ${report.queries.total} queries answered.`,
    '',
  );

  out.push('## Summary', '');
  if (timeline.impactStart !== null) {
    const first = timeline.signals[0];
    out.push(
      `- **Impact** from ${clock(timeline.impactStart)} to ${timeline.impactEnd === null ? 'the end of the window' : clock(timeline.impactEnd)} UTC` +
        (timeline.impactEnd !== null ? ` (${duration(timeline.impactEnd - timeline.impactStart)})` : '') +
        (first ? `; first signal: ${first.subject}` : '') +
        '.',
    );
  } else out.push('- No measured signal left its baseline band.');
  for (const r of affected.slice(0, 5)) out.push(`- **${cell(`${r.service} ${r.method} ${r.route}`)}**: ${r.reasons.join(', ')}.`);
  for (const e of impact.events.filter((x) => x.change !== null && Math.abs(x.change) >= 0.2).slice(0, 5)) {
    out.push(`- Business event **${e.name}**: ${signed(e.change)} (${rate(e.baseline)}/s → ${rate(e.incident)}/s).`);
  }
  for (const f of impact.funnels.filter((x) => x.change !== null && Math.abs(x.change) >= 0.1)) {
    out.push(`- Funnel **${f.funnel}** ${f.from} → ${f.to}: conversion ${pct(f.baseline)} → ${pct(f.incident)} (${signed(f.change)}).`);
  }
  for (const d of timeline.deploys)
    out.push(
      `- Deploy: **${d.service}** ${d.fromVersion || '?'} → ${d.toVersion || '?'} at ${clock(d.at)} UTC${d.inWindow ? '' : ' (before the window)'}.`,
    );
  const alertNames = [...new Set(timeline.alerts.map((a) => a.alertname))];
  for (const name of alertNames) {
    const firings = timeline.alerts
      .filter((a) => a.alertname === name)
      .map((a) => `${a.labels.service ? `${a.labels.service} ` : ''}${clock(a.first)} → ${a.open ? 'still firing' : clock(a.last)}`);
    out.push(`- Alert **${name}** fired: ${firings.join('; ')}.`);
  }
  out.push('', '| section | state | notes |', '|---|---|---|');
  out.push(
    status('Impact', impact),
    status('Timeline', timeline),
    status('Exemplars', evidence.exemplars),
    status('Tempo', evidence.tempo),
    status('Loki', evidence.loki),
    '',
  );

  out.push('## Impact', '');
  out.push(
    impact.measured.over === 'impact'
      ? `Measured over the impact period the timeline found, ${clock(impact.measured.from)} → ${clock(impact.measured.to)} UTC (${duration(impact.measured.to - impact.measured.from)}), against the baseline window.`
      : 'Measured over the whole window, against the baseline window.',
    '',
    '### Routes, ranked by how far they moved',
    '',
  );
  if (impact.routes.length === 0) out.push('No requests were measured in either window.', '');
  else {
    out.push(
      'Each cell is baseline → incident.',
      '',
      '| route | req/s | error ratio | p50 | p95 | p99 | moved |',
      '|---|---|---|---|---|---|---|',
    );
    const row = (b: RouteStats | null, n: RouteStats, key: keyof RouteStats, f: (v: number | null) => string) =>
      cell(pair(b ? f(b[key]) : '—', f(n[key])));
    for (const r of impact.routes.slice(0, 15)) {
      out.push(
        `| ${cell(`${r.service} ${r.method} ${r.route}`)} | ${row(r.baseline, r.incident, 'rate', rate)} | ${row(r.baseline, r.incident, 'errorRatio', pct)} | ` +
          `${row(r.baseline, r.incident, 'p50', ms)} | ${row(r.baseline, r.incident, 'p95', ms)} | ${row(r.baseline, r.incident, 'p99', ms)} | ${cell(r.reasons.join(', ') || '—')} |`,
      );
    }
    if (impact.routes.length > 15) out.push('', `${impact.routes.length - 15} more routes moved less.`);
    out.push('');
  }
  out.push('### Business events', '');
  if (impact.events.length === 0) out.push('No business events (`business_events_total`) in either window.', '');
  else {
    out.push('| event | baseline /s | incident /s | change |', '|---|---|---|---|');
    for (const e of impact.events) out.push(`| ${cell(e.name)} | ${rate(e.baseline)} | ${rate(e.incident)} | ${signed(e.change)} |`);
    out.push('');
  }
  out.push('### Funnels', '');
  if (impact.funnels.length === 0) out.push('No funnels to compare.', '');
  else {
    out.push('| funnel | step | baseline | incident | change |', '|---|---|---|---|---|');
    for (const f of impact.funnels)
      out.push(`| ${f.funnel} | ${cell(`${f.from} → ${f.to}`)} | ${pct(f.baseline)} | ${pct(f.incident)} | ${signed(f.change)} |`);
    out.push('');
  }

  out.push(
    '## Timeline',
    '',
    'Times in UTC. A step outside the baseline band (mean ± the largest of 3σ and a floor) counts when at least two steps in a row are outside.',
    '',
  );
  if (timeline.signals.length === 0) out.push('No signal of the affected routes or business events left its baseline band.', '');
  else {
    out.push('| signal | left the band | peak | last outside | back inside | band |', '|---|---|---|---|---|---|');
    for (const s of timeline.signals) {
      const peak = s.peak ? `${value(s.signal, s.peak.value)} at ${clock(s.peak.at)}` : '—';
      out.push(
        `| ${cell(s.subject)} | ${clock(s.start)} | ${peak} | ${clock(s.end)} | ${s.recovered === null ? 'not by the end' : clock(s.recovered)} | ` +
          `${value(s.signal, s.band.low)} – ${value(s.signal, s.band.high)} |`,
      );
    }
    out.push('');
  }
  out.push('### Alerts', '');
  if (timeline.alerts.length === 0) out.push('No alert fired in the window (`ALERTS{alertstate="firing"}`).', '');
  for (const a of timeline.alerts) {
    const labels = Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out.push(`- ${a.alertname} (${cell(labels)}): ${clock(a.first)} → ${a.open ? 'still firing' : clock(a.last)}`);
  }
  if (timeline.alerts.length) out.push('');
  out.push('### Deploys', '');
  if (timeline.deploys.length === 0)
    out.push(`No version change in \`periscope_build_info\` in the window or the ${duration(report.window.seconds)} before it.`, '');
  for (const d of timeline.deploys) {
    out.push(
      `- ${clock(d.at)} **${d.service}** ${d.fromVersion || '?'} (${d.fromRevision || '?'}) → ${d.toVersion || '?'} (${d.toRevision || '?'})${d.inWindow ? '' : ', before the window'}`,
    );
  }
  if (timeline.deploys.length) out.push('');

  out.push('## Evidence', '');
  for (const section of [evidence.exemplars, evidence.tempo, evidence.loki]) for (const n of section.notes) out.push(`> ${n}`, '');
  if (evidence.routes.length === 0) out.push('No route moved beyond the thresholds; nothing to collect evidence for.', '');
  for (const r of evidence.routes) {
    out.push(`### ${cell(`${r.service} ${r.method} ${r.route}`)}`, '');
    const chart = report.charts.find((c) => c.service === r.service && c.method === r.method && c.route === r.route);
    if (chart) out.push(`![rate, errors and p95 of ${cell(r.route)}](${encodeURI(chart.file)})`, '');
    if (r.exemplars.length === 0) out.push('No exemplars.', '');
    for (const e of r.exemplars) {
      const trace = r.traces.find((t) => t.traceId === e.traceId);
      const link = r.links.find((l) => l.label === `trace ${e.traceId}`);
      const id = link ? `[\`${e.traceId}\`](${link.url})` : `\`${e.traceId}\``;
      out.push(
        `- ${e.kind === 'failing' ? 'failing' : 'slow'} request ${id}: ${ms(e.seconds)}${e.status ? `, status ${e.status}` : ''}, at ${clock(e.at)}`,
      );
      if (trace) {
        const path = trace.criticalPath.map((p) => `${p.service}: ${p.name} (${p.selfMs} ms self${p.error ? ', error' : ''})`).join(' → ');
        out.push(`  - critical path (${trace.durationMs ?? '?'} ms, ${trace.spans} spans): ${cell(path)}`);
        if (trace.slowest)
          out.push(`  - the time went to **${trace.slowest.service}** \`${trace.slowest.name}\` (${trace.slowest.selfMs} ms self)`);
        if (trace.error)
          out.push(
            `  - the error came from **${trace.error.service}** \`${trace.error.name}\`${trace.error.message ? `: ${trace.error.message}` : ''}`,
          );
      }
      const logs = r.logs.find((l) => l.traceId === e.traceId);
      if (logs?.lines.length) {
        out.push('  - first log lines:', '', '    ```');
        for (const l of logs.lines) out.push(`    ${l.line.slice(0, 300)}`);
        out.push('    ```', '');
      }
    }
    for (const l of r.links.filter((x) => !x.label.startsWith('trace '))) out.push(`- [${l.label}](${l.url})`);
    out.push('');
  }
  if (evidence.sharedTraces.length > 0) {
    out.push(
      '### Failing requests seen under several routes',
      '',
      'The same request failed under each of these routes, so the failure passed through several services; its trace shows which one started it.',
      '',
    );
    for (const t of evidence.sharedTraces) out.push(`- \`${t.traceId}\`: ${t.routes.map(cell).join(', ')}`);
    out.push('');
  }
  out.push('### Error log lines per service (Loki)', '');
  if (evidence.loki.status === 'skipped') out.push('Skipped: no `--loki` URL given.', '');
  else if (evidence.loki.errorLines.length === 0) out.push('No error lines counted (or the count could not be read; see above).', '');
  else {
    out.push('| service | error lines in the window |', '|---|---|');
    for (const l of evidence.loki.errorLines) out.push(`| ${cell(l.service)} | ${l.count} |`);
    out.push('');
  }
  if (evidence.tempo.status === 'skipped') out.push('Traces: skipped, no `--tempo` URL given.', '');
  for (const l of evidence.links) out.push(`- [${l.label}](${l.url})`);
  if (evidence.links.length) out.push('');

  out.push('## What is missing', '');
  if (report.missing.length === 0) out.push('Every query was answered.', '');
  for (const m of report.missing) out.push(`- ${cell(m)}`);
  if (report.missing.length) out.push('');
  return out.join('\n');
}
