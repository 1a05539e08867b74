import { describe, expect, it } from 'vitest';
import { categoryOf, functionOf, ownerOf, parsePerfScript, splitPerRequest } from '../src/perf-samples.mjs';

/**
 * The splitter of `perf-split.mjs`, on samples in the format `perf script -F
 * ip,sym,dso` prints for a Node server run with `--perf-basic-prof` (abridged
 * from a real Fastify profile). Running `perf` itself needs the linux-perf
 * package and is not part of the tests.
 */
const SCRIPT = `
	ffffffff8225fd19 pvm_irq_enable ([kernel.kallsyms])
	ffffffff81e84cde sock_def_readable ([kernel.kallsyms])
	           fde9d __GI___writev (/usr/lib/x86_64-linux-gnu/libc.so.6)
	          9d759c node::StreamBase::Writev (/usr/bin/node)
	         14d1546 Builtins_CallApiCallback (/usr/bin/node)
	    7f1be8178e09 JS:*Socket._writev node:net:964:36 (/tmp/perf-4891.map)
	    7f1be81836b6 JS:*clearBuffer node:internal/streams/writable:744:21 (/tmp/perf-4891.map)

	    7f1be8181111 JS:*#start file:///work/main/packages/sdk/dist/index.js:1199:9 (/tmp/perf-4891.map)
	    7f1be8182222 JS:*onRequest file:///work/main/packages/fastify-plugin/dist/index.js:27:14 (/tmp/perf-4891.map)

	          aaaaaa Builtins_KeyedLoadIC_Megamorphic (/usr/bin/node)
	    7f1be8183333 JS:*onRequest file:///work/main/packages/fastify-plugin/dist/index.js:27:14 (/tmp/perf-4891.map)

	          bbbbbb v8::internal::Scavenger::Process(v8::internal::JobDelegate*) (/usr/bin/node)
	          cccccc v8::internal::ScavengerCollector::CollectGarbage() (/usr/bin/node)

	          dddddd v8::internal::JsonStringifier::Serialize_<false> (/usr/bin/node)
	    7f1be8184444 JS:*preHandlerCallback /work/main/node_modules/.pnpm/fastify@5.12.8/node_modules/fastify/lib/handle-request.js:110:28 (/tmp/perf-4891.map)
`;

describe('perf-split: splitting perf samples per request', () => {
  const samples = parsePerfScript(SCRIPT);

  it('reads one sample per block, leaf frame first', () => {
    expect(samples).toHaveLength(5);
    expect(samples[0]?.[0]).toEqual({ sym: 'pvm_irq_enable', dso: '[kernel.kallsyms]' });
    expect(samples[0]).toHaveLength(7);
    expect(samples[3]?.[0]?.sym).toBe('v8::internal::Scavenger::Process(v8::internal::JobDelegate*)');
  });

  it('names what the CPU was running and who asked for it', () => {
    expect(samples.map((frames) => categoryOf(frames[0]))).toEqual([
      'kernel',
      'JavaScript',
      'V8 builtins and inline caches',
      'garbage collector',
      'V8 and Node (C++)',
    ]);
    expect(ownerOf('JS:*#start file:///work/main/packages/sdk/dist/index.js:1199:9')).toBe('periscope: sdk');
    expect(ownerOf('JS:*preHandlerCallback /x/node_modules/.pnpm/fastify@5.12.8/node_modules/fastify/lib/a.js:1:2')).toBe('fastify');
    expect(ownerOf('JS:*Socket._writev node:net:964:36')).toBe('node:net');
    expect(ownerOf('Builtins_CallApiCallback')).toBeUndefined();
    expect(functionOf('JS:*#start file:///work/main/packages/sdk/dist/index.js:1199:9')).toBe('#start packages/sdk/index.js');
  });

  it('charges each sample to its nearest JavaScript frame, per request', () => {
    // 5 samples at 1000 Hz over 10 requests: 0.5 ms per request in all, 100 µs per sample and request.
    const split = splitPerRequest(samples, { hz: 1000, requests: 10 });
    expect(split.total).toBeCloseTo(500);
    expect(split.owner.get('node:net')).toBeCloseTo(100); // the kernel's wake-up, asked for by the socket write
    expect(split.owner.get('periscope: sdk')).toBeCloseTo(100);
    expect(split.owner.get('periscope: fastify-plugin')).toBeCloseTo(100); // the inline-cache miss in onRequest
    expect(split.owner.get('fastify')).toBeCloseTo(100);
    expect(split.owner.get('(no JavaScript frame: event loop, GC threads, compiler)')).toBeCloseTo(100);
    expect(split.category.get('kernel')).toBeCloseTo(100);
    expect(split.function.get('onRequest packages/fastify-plugin/index.js')).toBeCloseTo(100);
  });

  it('with a focus, splits the matching functions by leaf symbol', () => {
    const split = splitPerRequest(samples, { hz: 1000, requests: 10, focus: /^onRequest / });
    // Only the inline-cache miss has onRequest as its nearest frame; #start is nearer in the other sample.
    expect([...split.focused]).toEqual([['Builtins_KeyedLoadIC_Megamorphic', 100]]);
    expect(splitPerRequest(samples, { hz: 1000, requests: 10 }).focused.size).toBe(0);
  });
});
