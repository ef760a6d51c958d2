import type { Db } from './db.js';

/** Runs ANALYZE on PGlite as PostgreSQL's autovacuum would, after enough rows have been moved by the ETL. */
export interface Analyzer {
  /** Told how many raw events an ETL pass moved; analyses once the moved rows pass the threshold. */
  after(processed: number): Promise<void>;
}

/**
 * PGlite runs no autovacuum, so nothing ever analyses its tables, and without statistics the planner picked nested
 * loops for the funnel and goals panels that grow with the square of the visits: 16.7 s and 3.7 s at 1,500 visits,
 * on the server's own thread (issue 27), 170 ms and 135 ms once analysed. Like autovacuum's analyze threshold
 * (50 rows + 10 % of the table), this analyses once the ETL has moved `minRows` events and a tenth of all it had moved
 * before; ANALYZE samples a bounded number of rows a table (300 × the statistics target: 10 here, a few thousand
 * rows), so each run costs about the same whatever the tables hold.
 */
export function createAnalyzer(db: Db, options: { minRows?: number; onError?: (error: Error) => void } = {}): Analyzer {
  const minRows = options.minRows ?? 500;
  let total = 0;
  let since = 0;
  return {
    async after(processed) {
      total += processed;
      since += processed;
      if (since < Math.max(minRows, (total - since) / 10)) return;
      since = 0;
      try {
        await db.transaction(async (tx) => {
          await tx.query('SET LOCAL default_statistics_target = 10');
          await tx.exec('ANALYZE');
        });
      } catch (error) {
        options.onError?.(error as Error);
      }
    },
  };
}
