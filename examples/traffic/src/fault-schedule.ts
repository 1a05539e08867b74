import { type FaultSpec, faultsByService } from './fault-spec.js';

/** Sets (or clears) one service's faults through its `POST /_faults`. */
export async function setFaults(baseUrl: string, faults: { latencyMs: number; errorRatio: number }): Promise<void> {
  const response = await fetch(`${baseUrl}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(3000),
  });
  if (!response.ok) throw new Error(`${baseUrl}/_faults answered ${response.status}: ${await response.text()}`);
  await response.body?.cancel();
}

/**
 * Opens the fault window after `afterMs` and closes it `windowMs` later (or
 * never, when 0). `clear()` closes it now; the demo calls it on exit.
 */
export function scheduleFaults(
  urls: Record<string, string>,
  specs: readonly FaultSpec[],
  afterMs: number,
  windowMs: number,
  say: (line: string) => void,
): { clear(): Promise<void> } {
  const merged = faultsByService(specs);
  const timers: NodeJS.Timeout[] = [];
  let open = false;
  const apply = async (on: boolean): Promise<void> => {
    if (open === on) return;
    open = on;
    const results = await Promise.allSettled(
      [...merged].map(([service, faults]) => setFaults(urls[service] as string, on ? faults : { latencyMs: 0, errorRatio: 0 })),
    );
    for (const r of results) if (r.status === 'rejected') say(`fault switch failed: ${(r.reason as Error).message}`);
    say(on ? `fault window open: ${specs.map((s) => s.text).join(', ')}` : 'fault window closed');
  };
  if (merged.size > 0) {
    timers.push(setTimeout(() => void apply(true), afterMs));
    if (windowMs > 0) timers.push(setTimeout(() => void apply(false), afterMs + windowMs));
  }
  return {
    async clear() {
      for (const timer of timers) clearTimeout(timer);
      await apply(false);
    },
  };
}
