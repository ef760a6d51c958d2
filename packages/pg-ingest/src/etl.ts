import type { Queryable } from './db.js';

/** Moves up to `batchSize` raw events into the analytics tables; returns how many it took. */
export async function processEventsBatch(db: Queryable, batchSize = 1000): Promise<number> {
  const [row] = await db.query<{ processed: number }>('CALL process_events_batch(batch_size => $1)', [batchSize]);
  return Number(row?.processed ?? 0);
}

/** Closes sessions idle for 30 minutes; returns how many. */
export async function updateActiveSessions(db: Queryable): Promise<number> {
  const [row] = await db.query<{ closed: number }>('CALL update_active_sessions()');
  return Number(row?.closed ?? 0);
}

/** Recomputes `daily_site_metrics` for the UTC days `from`..`to` (`YYYY-MM-DD`); returns the rows written. */
export async function calculateDailyMetrics(db: Queryable, from: string, to: string): Promise<number> {
  const [row] = await db.query<{ written: number }>('CALL calculate_daily_metrics(start_date => $1::date, end_date => $2::date)', [
    from,
    to,
  ]);
  return Number(row?.written ?? 0);
}

/** Deletes processed raw events older than `retentionDays` (at least 8); returns how many. */
export async function cleanupProcessedEvents(db: Queryable, retentionDays = 90): Promise<number> {
  const [row] = await db.query<{ deleted: number | string }>('CALL cleanup_processed_events(retention_days => $1)', [retentionDays]);
  return Number(row?.deleted ?? 0);
}

/** What one ETL run did. */
export interface EtlResult {
  processed: number;
  closedSessions: number;
  metricRows: number;
}

/** Options of `runEtl()`. */
export interface RunEtlOptions {
  batchSize?: number;
  /** Stop after this many batches, so one run is bounded even under a flood (default 100). */
  maxBatches?: number;
  /** How many UTC days back to recompute daily metrics, today included (default 2: yesterday and today). */
  metricDays?: number;
  clock?: () => number;
}

/**
 * One ETL pass: raw events in batches until the backlog is drained (or `maxBatches`), then idle sessions
 * closed, then the daily metrics of the recent days recomputed.
 */
export async function runEtl(db: Queryable, options: RunEtlOptions = {}): Promise<EtlResult> {
  const batchSize = options.batchSize ?? 5000;
  const maxBatches = options.maxBatches ?? 100;
  let processed = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await processEventsBatch(db, batchSize);
    processed += n;
    if (n < batchSize) break;
  }
  const closedSessions = await updateActiveSessions(db);
  const now = (options.clock ?? Date.now)();
  const days = Math.max(1, options.metricDays ?? 2);
  const metricRows = await calculateDailyMetrics(db, utcDay(now - (days - 1) * 86_400_000), utcDay(now));
  return { processed, closedSessions, metricRows };
}

/** `YYYY-MM-DD` of a time in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Options of `startEtlLoop()`. */
export interface EtlLoopOptions extends RunEtlOptions {
  /** Time between the end of one run and the start of the next, ms. */
  intervalMs: number;
  /** Every this many runs, recompute the last 8 days instead of 2, for late events (default 360: hourly at 10 s). */
  fullEvery?: number;
  onRun?: (result: EtlResult) => void;
  onError?: (error: Error) => void;
}

/** The in-process ETL timer. */
export interface EtlLoop {
  /** Runs a pass now (waiting for a running one first), outside the timer. */
  runNow(): Promise<EtlResult>;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
  readonly runs: number;
  readonly errors: number;
}

/**
 * Runs `runEtl()` every `intervalMs`, never two passes at once in this process (other processes are fine:
 * the procedures skip what another runner holds). A failing pass (database down) is reported and retried
 * at the next tick.
 */
export function startEtlLoop(db: Queryable, options: EtlLoopOptions): EtlLoop {
  let running: Promise<EtlResult> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let runs = 0;
  let errors = 0;
  const fullEvery = options.fullEvery ?? 360;
  const pass = (): Promise<EtlResult> => {
    const metricDays = runs % fullEvery === 0 ? 8 : (options.metricDays ?? 2);
    const current = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => runEtl(db, { ...options, metricDays }))
      .finally(() => {
        runs++;
        if (running === current) running = undefined;
      });
    running = current;
    return current;
  };
  const schedule = () => {
    if (stopped || options.intervalMs <= 0) return;
    timer = setTimeout(() => {
      pass()
        .then((result) => options.onRun?.(result))
        .catch((error: Error) => {
          errors++;
          options.onError?.(error);
        })
        .finally(schedule);
    }, options.intervalMs);
    timer.unref?.();
  };
  schedule();
  return {
    runNow: pass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
    get runs() {
      return runs;
    },
    get errors() {
      return errors;
    },
  };
}
