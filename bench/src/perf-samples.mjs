/**
 * Reads `perf script -F ip,sym,dso` output of a Node server run with
 * `--perf-basic-prof` and splits its CPU time per request: by what the CPU
 * was running (JavaScript, V8 and Node's C++, the garbage collector, the
 * kernel, libc) and by the nearest JavaScript frame's owner (a Periscope
 * package, a dependency, a Node module). The nearest JavaScript frame
 * charges native work to the JavaScript that asked for it: a `write(2)` to
 * the stream code that called it, an inline-cache miss to the function that
 * missed. Used by `perf-split.mjs`.
 */

const FRAME = /^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)$/;
const GC = /Heap|Scaveng|MarkCompact|Sweep|Marking|GC|Evacuat|Minor|Remembered|SlotSet|MemoryChunk|Safepoint|MemoryAllocator/;

/** The samples of a `perf script` text: each an array of frames `{ sym, dso }`, the leaf first. */
export function parsePerfScript(text) {
  const samples = [];
  for (const block of text.split(/\n\s*\n/)) {
    const frames = [];
    for (const line of block.split('\n')) {
      const match = FRAME.exec(line);
      if (match) frames.push({ sym: match[2], dso: match[3] });
    }
    if (frames.length > 0) samples.push(frames);
  }
  return samples;
}

/** What the CPU was running at the leaf frame. */
export function categoryOf({ sym, dso }) {
  if (dso.includes('kernel')) return 'kernel';
  if (sym.startsWith('JS:') || sym.startsWith('RegExp:') || dso.includes('perf-') || dso === '[unknown]') return 'JavaScript';
  if (/(^|\/)node$/.test(dso)) {
    if (GC.test(sym)) return 'garbage collector';
    if (sym.startsWith('Builtins_')) return 'V8 builtins and inline caches';
    return 'V8 and Node (C++)';
  }
  if (/libc[.-]/.test(dso)) return 'libc';
  return dso.split('/').pop();
}

/** The owner of a JavaScript frame's code, or undefined for a native frame. */
export function ownerOf(sym) {
  if (!sym.startsWith('JS:')) return undefined;
  const periscope = /\/packages\/([^/]+)\//.exec(sym);
  if (periscope) return `periscope: ${periscope[1]}`;
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/:]+)/.exec(sym);
  if (dependency) return dependency[1];
  const builtin = / node:([\w/]+)/.exec(sym);
  if (builtin) return `node:${builtin[1]}`;
  if (sym.includes('/bench/')) return 'the benchmark app';
  return 'other JavaScript';
}

/** A JavaScript frame's function and file, without line and column (they move with every build). */
export function functionOf(sym) {
  return sym
    .replace(/^JS:[*~^+]?/, '')
    .replace(/:\d+:\d+$/, '')
    .replace(/file:\/\/\S*\/(packages\/[^/]+)\/dist\//, '$1/')
    .replace(/\S*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '');
}

/**
 * Microseconds of CPU per request, by category, by owner and by function of
 * the nearest JavaScript frame, and by leaf symbol. `hz` is perf's sampling
 * frequency: each sample stands for 1/hz s of CPU. With `focus` (a RegExp),
 * `focused` holds the leaf symbols of the samples whose nearest JavaScript
 * function matches it: what one function's time is made of.
 */
export function splitPerRequest(samples, { hz, requests, focus }) {
  const usPerSample = 1e6 / hz / requests;
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + usPerSample);
  const split = {
    total: samples.length * usPerSample,
    category: new Map(),
    owner: new Map(),
    function: new Map(),
    leaf: new Map(),
    focused: new Map(),
  };
  for (const frames of samples) {
    const leaf = frames[0].sym.replace(/:\d+:\d+$/, '').slice(0, 90);
    add(split.category, categoryOf(frames[0]));
    add(split.leaf, leaf);
    const nearest = frames.find((frame) => ownerOf(frame.sym) !== undefined);
    const fn = nearest ? functionOf(nearest.sym) : '(none)';
    add(split.owner, nearest ? ownerOf(nearest.sym) : '(no JavaScript frame: event loop, GC threads, compiler)');
    add(split.function, fn);
    if (focus?.test(fn)) add(split.focused, leaf);
  }
  return split;
}
