import { setMaxListeners } from 'node:events';
import { parseTrafficArgs, TRAFFIC_USAGE } from './args.js';
import { scheduleFaults } from './fault-schedule.js';
import { walkJourney } from './journey.js';
import { UsageError } from './usage-error.js';

/**
 * shop-traffic: visitors arrive at `--rate` per second (Poisson arrivals),
 * walk the journey, and a summary line is printed every 5 s. Faults open
 * and close on schedule; on SIGTERM/SIGINT the generator stops starting
 * journeys, clears the faults it set and exits.
 */
const say = (line: string): void => void process.stdout.write(`traffic: ${line}\n`);

let options: ReturnType<typeof parseTrafficArgs>;
try {
  options = parseTrafficArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`shop-traffic: ${error.message}\n\n${TRAFFIC_USAGE}`);
  process.exit(2);
}

const MAX_IN_FLIGHT = 200;
const stopping = new AbortController();
// Every journey in flight listens for the stop; the default limit of 10 would warn.
setMaxListeners(0, stopping.signal);
const counts = { started: 0, landing: 0, signup: 0, checkout: 0, failed: 0 };
let inFlight = 0;

const faults = scheduleFaults(options.urls, options.faults, options.faultAfterMs, options.faultWindowMs, say);
say(`${options.rate}/s journeys against ${options.urls.web}${options.durationMs ? ` for ${options.durationMs / 1000}s` : ''}`);

function arrive(): void {
  if (stopping.signal.aborted) return;
  if (inFlight < MAX_IN_FLIGHT) {
    inFlight++;
    const id = ++counts.started;
    walkJourney(options.urls.web as string, id, stopping.signal)
      .then((outcome) => void counts[outcome.reached]++)
      .catch(() => void (stopping.signal.aborted || counts.failed++))
      .finally(() => void inFlight--);
  }
  // Exponential gaps: arrivals look like independent visitors, not a metronome.
  setTimeout(arrive, (-Math.log(1 - Math.random()) / options.rate) * 1000);
}

const report = setInterval(() => {
  say(
    `${counts.started} journeys: ${counts.landing} left after landing, ${counts.signup} after sign-up, ${counts.checkout} checked out, ${counts.failed} failed`,
  );
}, 5000);

async function stop(reason: string): Promise<void> {
  if (stopping.signal.aborted) return;
  stopping.abort();
  clearInterval(report);
  await faults.clear().catch(() => {});
  say(`stopped (${reason}) after ${counts.started} journeys, ${counts.checkout} checkouts`);
  process.exit(0);
}

process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
if (process.connected) process.once('disconnect', () => void stop('parent exited'));
if (options.durationMs > 0) setTimeout(() => void stop('duration reached'), options.durationMs);
arrive();
