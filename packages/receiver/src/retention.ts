import type { EventStore } from './store.js';

const DAY_MS = 86_400_000;

/** How long data is kept, and how often the cleanup runs. */
export interface RetentionOptions {
  /** Raw events, by event time (default 30 days). */
  rawDays?: number;
  /** Hourly rollups (default 90 days). */
  rollupDays?: number;
  /** Between cleanups (default one hour); 0 turns the timer off. */
  intervalMs?: number;
  /** Rows deleted per transaction, so a cleanup never holds the writer (and the event loop) for long. */
  chunk?: number;
}

/** What a cleanup removed. */
export interface RetentionResult {
  events: number;
  rollups: number;
}

/** Deletes everything past retention as of `now`, a chunk at a time, yielding to requests in between. */
export async function runRetention(store: EventStore, now: number, options: RetentionOptions = {}): Promise<RetentionResult> {
  const rawBefore = now - (options.rawDays ?? 30) * DAY_MS;
  const rollupBefore = now - (options.rollupDays ?? 90) * DAY_MS;
  const chunk = options.chunk ?? 5000;
  const total = { events: 0, rollups: 0 };
  for (;;) {
    const step = store.deleteChunk(rawBefore, rollupBefore, chunk);
    total.events += step.events;
    total.rollups += step.rollups;
    if (step.events < chunk && step.rollups < chunk) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Runs the cleanup on a timer (first run right after start), never on a request's path.
 * A failing run is reported to `onError` and retried at the next tick.
 */
export function scheduleRetention(
  store: EventStore,
  clock: () => number,
  options: RetentionOptions,
  onError: (error: unknown) => void,
): { stop(): void } {
  const interval = options.intervalMs ?? 3_600_000;
  if (interval <= 0) return { stop() {} };
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    runRetention(store, clock(), options)
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(tick, 1000);
  const timer = setInterval(tick, interval);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
