import type { StatsEvent } from './visits.js';

/**
 * What one stats request may cost a backend that computes panels from raw events (the reference receiver, the D1
 * Worker). A public write key chooses how many events a range holds, so the work is bounded whatever it sent:
 * `maxEvents` bounds what is read and held (memory) and what is computed over (linear, issue 27); `timeMs` bounds
 * the time spent reading. Past either, the request is answered 503 with `Retry-After` instead.
 */
export interface StatsBudget {
  maxEvents: number;
  timeMs: number;
}

/**
 * The default budget. Grouping 160,000 events into visits took 0.45 s of CPU (test/stats-cost.test.ts), so 100,000
 * hold the event loop for a few tenths of a second once read (the reading itself yields between pages). On D1 the
 * local workerd peaked at 376 MiB reading 35,000 events and 904 MiB at 140,000 (`npm run bench`, "stats cost"), so
 * the Worker's own default is 50,000 (`D1_STATS_BUDGET`, measured per budget by "d1 stats memory"); pg-ingest's is
 * in its `PgStatsBudget`.
 */
export const STATS_BUDGET: StatsBudget = { maxEvents: 100_000, timeMs: 10_000 };

/** How long a refused stats request should wait before it asks again. */
export const STATS_RETRY_AFTER_S = 30;

/** Why a request whose range holds more than `max` events (or visits, for a rollup panel) is refused. */
export const rangeTooLarge = (max: number, what: 'events' | 'visits'): string =>
  `the range holds more than ${max} ${what}, more than one stats request reads; ask for a shorter range`;

/** One page of a paged read: its events, and where the next page starts (undefined after the last). */
export interface StatsPage<C> {
  events: StatsEvent[];
  next: C | undefined;
}

/** The events a request read within its budget, or why it stopped. */
export type StatsRead = { ok: true; events: StatsEvent[] } | { ok: false; error: string; retryAfterSeconds: number };

/**
 * Reads a request's events a page at a time (`readPage(cursor)`), giving the event loop a turn between pages, so
 * ingest and health checks are answered while a large range is read. Stops, refusing the request, once more than
 * `budget.maxEvents` events were read or `budget.timeMs` has passed.
 */
export async function readWithinBudget<C>(
  readPage: (after: C | undefined) => Promise<StatsPage<C>> | StatsPage<C>,
  budget: StatsBudget = STATS_BUDGET,
  clock: () => number = Date.now,
): Promise<StatsRead> {
  const started = clock();
  const events: StatsEvent[] = [];
  let after: C | undefined;
  do {
    const page = await readPage(after);
    for (const event of page.events) events.push(event);
    if (events.length > budget.maxEvents) {
      return refuse(rangeTooLarge(budget.maxEvents, 'events'));
    }
    after = page.next;
    if (after !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (clock() - started > budget.timeMs) return refuse(`the stats request ran over its ${budget.timeMs} ms budget; retry later`);
    }
  } while (after !== undefined);
  return { ok: true, events };
}

const refuse = (error: string): StatsRead => ({ ok: false, error, retryAfterSeconds: STATS_RETRY_AFTER_S });
