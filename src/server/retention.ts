/**
 * Event retention (`--retain-events-days`, off by default): raw usage events older than the window
 * are deleted from time to time; the rollups stay, so aggregate reads over old periods still answer
 * (see docs/server.md, "Retention"). The window may not be shorter than the oldest timestamp ingest
 * accepts: a replayed event is then always either still stored (a duplicate) or rejected as too old,
 * never counted twice.
 */
import { MAX_EVENT_AGE_MS } from '../protocol/limits';
import type { Store } from './store/store';

const DAY_MS = 86_400_000;
/** The shortest window: the oldest event timestamp ingest accepts, in days. */
export const MIN_RETAIN_EVENTS_DAYS = Math.ceil(MAX_EVENT_AGE_MS / DAY_MS);
/** The longest window accepted (100 years): anything longer is a typo. */
const MAX_RETAIN_EVENTS_DAYS = 36_500;
/** How often a server drops expired events. */
export const RETENTION_EVERY_MS = 3_600_000;

/**
 * Validate a retention window in days.
 * @param source how the value was given, for the message (e.g. `--retain-events-days`).
 * @throws {Error} naming `source` and the rule when it is not an integer from 35 to 36500.
 */
export function parseRetainEventsDays(value: string | number, source: string): number {
  const days = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isInteger(days) || days < MIN_RETAIN_EVENTS_DAYS || days > MAX_RETAIN_EVENTS_DAYS) {
    throw new Error(
      `${source} must be an integer number of days from ${MIN_RETAIN_EVENTS_DAYS} (the oldest event timestamp ingest accepts) to ${MAX_RETAIN_EVENTS_DAYS} (got ${JSON.stringify(value)})`,
    );
  }
  return days;
}

/** A running retention loop. */
export interface Retention {
  /** Stop the timer and wait for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Drop expired events now and then every `RETENTION_EVERY_MS`. The timer is unref'd (it never
 * keeps the process alive) and runs never overlap; a failed run is reported and retried next time.
 */
export function startRetention(store: Store, days: number, now: () => number, onError: (error: unknown) => void): Retention {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const run = (): void => {
    if (busy) return;
    busy = true;
    running = store
      .dropEventsBefore(now() - days * DAY_MS)
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .finally(() => {
        busy = false;
      });
  };
  run();
  const timer = setInterval(run, RETENTION_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
