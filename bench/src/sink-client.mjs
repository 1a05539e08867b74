/** Starts the OTLP sink process and reads its totals. */
import { fileURLToPath } from 'node:url';
import { nextMessage, spawnNode, stopChild } from './processes.mjs';

const SINK = fileURLToPath(new URL('./sink.mjs', import.meta.url));

/** The sink shares the load driver's CPU, so receiving spans takes nothing from the server's. */
export async function startSink() {
  const child = spawnNode(SINK, [], { cpu: 1 });
  const { url } = await nextMessage(child, 'ready', 10_000);
  return {
    url,
    pid: child.pid,
    async stats() {
      const reply = nextMessage(child, 'stats', 10_000);
      child.send({ type: 'stats' });
      return reply;
    },
    stop: () => stopChild(child, 2000),
  };
}
