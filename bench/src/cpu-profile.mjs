#!/usr/bin/env node
/**
 * Summarises `.cpuprofile` files written by `pnpm bench --cpu-prof DIR`:
 * `node bench/src/cpu-profile.mjs DIR/file.cpuprofile [--top N]`. Prints self
 * time by function and by owner (a Periscope package, a dependency, Node
 * itself), with Periscope's functions marked: the input for performance work.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const top = Number(values.top);

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  // timeDeltas[i] is the time before samples[i]; charge it to that sample's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = [...selfUs.values()].reduce((sum, us) => sum + us, 0);
  const byFunction = new Map();
  const byOwner = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const owner = ownerOf(callFrame.url, callFrame.functionName);
    const key = `${callFrame.functionName || '(anonymous)'} ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`;
    const entry = byFunction.get(key) ?? { key, owner, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  // Inclusive time: a node's self time plus its descendants', counted once per function even under recursion.
  const inclusive = new Map();
  const keyOf = (node) =>
    `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  const walk = (node, open) => {
    let us = selfUs.get(node.id) ?? 0;
    const key = keyOf(node);
    const outermost = !open.has(key);
    if (outermost) open.add(key);
    for (const childId of node.children ?? []) us += walk(byId.get(childId), open);
    if (outermost) {
      open.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    return us;
  };
  walk(profile.nodes[0], new Set());
  const pct = (us) => `${((100 * us) / totalUs).toFixed(1)}%`;
  console.log(`# ${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n`);
  console.log('## Self time by owner\n\n| owner | self | share |\n|---|---|---|');
  for (const [owner, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${owner} | ${(us / 1e3).toFixed(0)} ms | ${pct(us)} |`);
  console.log(`\n## Top ${top} functions by self time\n\n| function | owner | self | share |\n|---|---|---|---|`);
  for (const entry of [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, top)) {
    console.log(`| \`${entry.key}\` | ${entry.owner} | ${(entry.us / 1e3).toFixed(0)} ms | ${pct(entry.us)} |`);
  }
  console.log(`\n## Top ${top} Periscope functions by self time\n\n| function | self | share |\n|---|---|---|`);
  const periscope = [...byFunction.values()].filter((entry) => entry.owner.startsWith('@periscope/'));
  for (const entry of periscope.sort((a, b) => b.us - a.us).slice(0, top))
    console.log(`| \`${entry.key}\` | ${(entry.us / 1e3).toFixed(0)} ms | ${pct(entry.us)} |`);
  console.log(
    `\n## Top ${top} Periscope functions by inclusive time (their callees included)\n\n| function | inclusive | share |\n|---|---|---|`,
  );
  const periscopeInclusive = [...inclusive].filter(([key]) => /packages\/(sdk|express-plugin|fastify-plugin|nest-module)\//.test(key));
  for (const [key, us] of periscopeInclusive.sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| \`${key}\` | ${(us / 1e3).toFixed(0)} ms | ${pct(us)} |`);
  console.log('');
}

function ownerOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const periscope = /\/packages\/(sdk|express-plugin|fastify-plugin|nest-module)\//.exec(url);
  if (periscope)
    return `@periscope/${{ sdk: 'sdk', 'express-plugin': 'express', 'fastify-plugin': 'fastify', 'nest-module': 'nest' }[periscope[1]]}`;
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const rest = modules[modules.length - 1].split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (internals)';
  if (url.includes('/bench/src/')) return 'bench app';
  return url;
}

function shortUrl(url) {
  const periscope = url.indexOf('/packages/');
  if (periscope >= 0) return url.slice(periscope + 1);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}
