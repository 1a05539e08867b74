#!/usr/bin/env node
/**
 * `pnpm bench`: every selected cell once per round, rounds interleaved, each
 * cell in a fresh server process pinned to CPU 0 and driven by autocannon
 * pinned to CPU 1; then medians, ranges and same-round ratios to bare.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runCell } from './cell.mjs';
import { parseOptions, USAGE } from './options.mjs';
import { pinning } from './processes.mjs';
import { checkTargets, renderMarkdown, summarizeCells } from './report.mjs';
import { makeCell, ROUTES, selectCells } from './scenarios.mjs';
import { startSink } from './sink-client.mjs';

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.micro) {
    const { renderMicro, runMicro } = await import('./micro.mjs');
    console.log(renderMicro(await runMicro()));
    return 0;
  }
  if (options.report) {
    const { samples } = JSON.parse(readFileSync(options.report, 'utf8'));
    const cells = Object.keys(samples).map((id) => makeCell(...id.split(':')));
    const summaries = summarizeCells(cells, new Map(Object.entries(samples)));
    console.log(renderMarkdown(summaries, checkTargets(summaries)));
    return 0;
  }
  const cells = selectCells(options);
  if (options.list) {
    console.log(cells.map((cell) => cell.id).join('\n'));
    return 0;
  }
  if (cells.length === 0) throw new Error(`no cell matches --filter '${options.filter}'`);

  const steadyCells = cells.filter((cell) => ROUTES[cell.route].steady).length;
  const estimate = Math.ceil(
    ((cells.length - steadyCells) * options.rounds * (options.duration + options.warmup + 1.5) +
      steadyCells * (options.steady + options.warmup + 1.5)) /
      60,
  );
  log(
    `${cells.length - steadyCells} cells × ${options.rounds} rounds × ${options.duration} s${steadyCells ? ` and ${steadyCells} steady-state cells × 1 round × ${options.steady} s` : ''} (+${options.warmup} s warm-up each), ${options.connections} connections, pinning: ${pinning}; about ${estimate} min`,
  );

  const sink = await startSink();
  const samplesById = new Map(cells.map((cell) => [cell.id, []]));
  const startedAt = new Date();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const cell of cells) {
        // A steady-state cell runs once: its point is the long run, not the spread over rounds.
        if (ROUTES[cell.route].steady && round > 1) continue;
        const sample = await runCell(cell, { sink, options });
        sample.round = round;
        samplesById.get(cell.id).push(sample);
        log(
          sample.ok
            ? `round ${round} ${cell.id}: ${sample.rps.toFixed(0)} req/s, p50 ${sample.p50Us.toFixed(0)} µs, p99 ${sample.p99Us.toFixed(0)} µs, CPU server ${pct(sample.serverCpu)} driver ${pct(sample.driverCpu)} other ${pct(sample.otherCpu)}, peak RSS ${(sample.peakRssBytes / 2 ** 20).toFixed(0)} MiB, young gen ${sample.youngGenMiB?.toFixed(0) ?? '?'} MiB${cell.traced ? `, ${sample.spansPerRequest.toFixed(2)} spans/req` : ''}${sample.startedBusy ? ' (machine was busy)' : ''}`
            : `round ${round} ${cell.id}: FAILED: ${sample.failure}`,
        );
      }
    }
  } finally {
    await sink.stop();
  }

  const summaries = summarizeCells(cells, samplesById);
  const targets = checkTargets(summaries);
  console.log(renderMarkdown(summaries, targets));

  if (options.json) {
    const machine = { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, pinning };
    const run = { startedAt: startedAt.toISOString(), options: { ...options, serverNodeArgs: undefined }, machine };
    writeFileSync(options.json, `${JSON.stringify({ run, summaries, targets, samples: Object.fromEntries(samplesById) }, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }

  const failed = summaries.filter((summary) => summary.failures.length > 0 || summary.errors > 0);
  for (const summary of failed) log(`FAILED ${summary.id}: ${summary.failures.join('; ') || `${summary.errors} errors`}`);
  return failed.length > 0 ? 1 : 0;
}

const pct = (share) => `${Number.isFinite(share) ? (100 * share).toFixed(0) : '?'}%`;

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
