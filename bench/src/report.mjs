/** Summaries over rounds, the issue's targets, and the Markdown tables `pnpm bench` prints. */
import { FRAMEWORKS, ROUTES } from './scenarios.mjs';
import { pairedRatio, summarize } from './stats.mjs';

const MiB = 1024 * 1024;

/** One summary per cell: medians and ranges over rounds, and ratios to the same round's bare cell. */
export function summarizeCells(cells, samplesById) {
  const byId = new Map();
  for (const cell of cells) {
    const samples = samplesById.get(cell.id);
    const pick = (key) => samples.map((sample) => (sample.ok ? sample[key] : Number.NaN));
    byId.set(cell.id, { cell, samples, pick });
  }
  return cells.map((cell) => {
    const { samples, pick } = byId.get(cell.id);
    const bare = byId.get(`${cell.framework}:bare:${cell.route}`);
    const barePick = bare ? bare.pick : () => [];
    const total = (key) => samples.reduce((sum, sample) => sum + (Number.isFinite(sample[key]) ? sample[key] : 0), 0);
    const summary = {
      id: cell.id,
      framework: cell.framework,
      stack: cell.stack,
      route: cell.route,
      what: cell.what,
      rounds: samples.length,
      failures: samples.filter((sample) => !sample.ok).map((sample) => sample.failure),
      errors: total('errors'),
      rps: summarize(pick('rps')),
      // Each round's value, for ratios to cells other than bare (NaN for a failed round).
      rpsByRound: pick('rps'),
      p50Us: summarize(pick('p50Us')),
      p99Us: summarize(pick('p99Us')),
      rpsRatio: pairedRatio(pick('rps'), barePick('rps')),
      p50Ratio: pairedRatio(pick('p50Us'), barePick('p50Us')),
      p99Ratio: pairedRatio(pick('p99Us'), barePick('p99Us')),
      peakRssMiB: summarize(pick('peakRssBytes').map((bytes) => bytes / MiB)),
      rssOverBareMiB: summarize(pick('peakRssBytes').map((bytes, i) => (bytes - barePick('peakRssBytes')[i]) / MiB)),
      youngGenMiB: summarize(pick('youngGenMiB')),
      serverCpu: summarize(pick('serverCpu')),
      // Server CPU per response: the cost that does not depend on whether the load driver kept up.
      cpuUsPerRequest: summarize(samples.map((sample) => (sample.ok ? (sample.serverCpu * 1e6) / sample.rps : Number.NaN))),
      driverCpu: summarize(pick('driverCpu')),
      otherCpu: summarize(pick('otherCpu')),
    };
    if (cell.traced) {
      Object.assign(summary, {
        spansPerRequest: summarize(pick('spansPerRequest')),
        sinkSpans: total('sinkSpans'),
        spansDropped: total('spansDropped'),
        dropsCounted: Boolean(cell.periscope),
      });
      if (cell.periscope) Object.assign(summary, { spansExported: total('spansExported'), spansUncounted: total('spansUncounted') });
    }
    if (cell.periscope) Object.assign(summary, { internalErrors: total('internalErrors'), logLinesDropped: total('logLinesDropped') });
    return summary;
  });
}

/** The issue's targets that a harness run can check; `track()` and the log-line targets belong to the microbenchmarks. */
export function checkTargets(summaries) {
  const get = (id) => summaries.find((summary) => summary.id === id);
  const targets = [];
  const add = (id, what, value, limit, met) => {
    if (get(id)) targets.push({ id, what, value, limit, met: Number.isFinite(value) && met(value) });
  };
  const fastify = get('fastify:periscope:users');
  if (fastify) {
    add('fastify:periscope:users', 'throughput × bare', fastify.rpsRatio.median, '≥ 0.40', (v) => v >= 0.4);
    add('fastify:periscope:users', 'p99 × bare', fastify.p99Ratio.median, '≤ 3', (v) => v <= 3);
    add('fastify:periscope:users', 'uncounted span drops', fastify.spansUncounted, '= 0', (v) => v === 0);
  }
  const express = get('express:periscope:users');
  if (express) {
    add('express:periscope:users', 'throughput × bare', express.rpsRatio.median, '≥ 0.80', (v) => v >= 0.8);
    add('express:periscope:users', 'p99 × bare', express.p99Ratio.median, '≤ 1.3', (v) => v <= 1.3);
    // The stricter reading: against Express with the hidden-class change Periscope makes, and no telemetry.
    const dictionary = get('express:bare-dictionary:users');
    if (dictionary) {
      const ratio = pairedRatio(express.rpsByRound ?? [], dictionary.rpsByRound ?? []);
      add('express:periscope:users', 'throughput × bare-dictionary', ratio.median, '≥ 0.80', (v) => v >= 0.8);
    }
  }
  for (const framework of Object.keys(FRAMEWORKS)) {
    const realistic = get(`${framework}:periscope:realistic`);
    if (realistic) add(realistic.id, 'realistic route p99 × bare', realistic.p99Ratio.median, '≤ 1.10', (v) => v <= 1.1);
    const paced = get(`${framework}:periscope:realistic-2k`);
    if (paced) add(paced.id, 'realistic route at 2,000 req/s, p99 × bare', paced.p99Ratio.median, '≤ 1.10', (v) => v <= 1.1);
  }
  // Peak RSS after a short cell depends on whether V8 has grown the young generation yet (sooner with more
  // surviving bytes per request); the steady-state cells hold the load long enough for both servers to settle.
  for (const framework of Object.keys(FRAMEWORKS)) {
    const users = get(`${framework}:periscope:users`);
    if (users) add(users.id, 'peak RSS − bare, MiB, short cell', users.rssOverBareMiB.median, '≤ 40', (v) => v <= 40);
    const steady = get(`${framework}:periscope:users-steady`);
    if (steady) add(steady.id, 'peak RSS − bare, MiB, steady state', steady.rssOverBareMiB.median, '≤ 40', (v) => v <= 40);
  }
  return targets;
}

/** A target's value with two decimals, or three when two would print the limit itself (0.396 against ≥ 0.40). */
export function targetValue({ value, limit }) {
  const two = fixed(value, 2);
  const bound = /[\d.]+$/.exec(limit)?.[0];
  return bound !== undefined && Number(two) === Number(bound) && value !== Number(bound) ? fixed(value, 3) : two;
}

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const range = ({ median, min, max, n }, digits) =>
  n > 1 ? `${fixed(median, digits)} (${fixed(min, digits)}–${fixed(max, digits)})` : fixed(median, digits);
const pct = (summary) => `${fixed(100 * summary.median, 0)}%`;
const ratio = (summary) => fixed(summary.median, 2);

function dropsCell(summary) {
  if (summary.spansDropped === undefined) return '';
  if (summary.dropsCounted) return `${summary.spansDropped} counted, ${summary.spansUncounted} uncounted`;
  const ended = summary.sinkSpans + summary.spansDropped;
  const share = ended > 0 ? ` (${((100 * summary.spansDropped) / ended).toFixed(1)}%)` : '';
  return `${summary.spansDropped} silent${share}`;
}

/** Markdown: one table per framework and route, then the targets. */
export function renderMarkdown(summaries, targets) {
  const lines = [];
  for (const [framework, frameworkName] of Object.entries(FRAMEWORKS)) {
    for (const [route, { template, what }] of Object.entries(ROUTES)) {
      const rows = summaries.filter((summary) => summary.framework === framework && summary.route === route);
      if (rows.length === 0) continue;
      lines.push(`#### ${frameworkName}, \`GET ${template}\` (${what})`, '');
      lines.push(
        '| stack | req/s median (min–max) | × bare | p50 µs | × bare | p99 µs median (min–max) | × bare | spans/req | span drops | server CPU µs/req | peak RSS MiB (Δ bare) | young gen MiB | CPU server / driver / other | errors |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
      for (const s of rows) {
        lines.push(
          `| ${s.stack}${s.failures.length ? ` ⚠ ${s.failures.length} failed` : ''} | ${range(s.rps, 0)} | ${ratio(s.rpsRatio)} | ${fixed(s.p50Us.median, 0)} | ${ratio(s.p50Ratio)} | ${range(s.p99Us, 0)} | ${ratio(s.p99Ratio)} | ${s.spansPerRequest ? fixed(s.spansPerRequest.median, 2) : ''} | ${dropsCell(s)} | ${fixed(s.cpuUsPerRequest.median, 0)} | ${fixed(s.peakRssMiB.median, 0)} (${s.stack === 'bare' ? '–' : `${s.rssOverBareMiB.median >= 0 ? '+' : ''}${fixed(s.rssOverBareMiB.median, 0)}`}) | ${range(s.youngGenMiB, 0)} | ${pct(s.serverCpu)} / ${pct(s.driverCpu)} / ${pct(s.otherCpu)} | ${s.errors} |`,
        );
      }
      lines.push('');
    }
  }
  if (targets.length) {
    lines.push('#### Targets from issue 8', '', '| cell | measure | median | target | |', '|---|---|---|---|---|');
    for (const t of targets) lines.push(`| ${t.id} | ${t.what} | ${targetValue(t)} | ${t.limit} | ${t.met ? 'met' : '**missed**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}
