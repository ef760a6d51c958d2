import { budgetWith } from '@trailmark/node-http';
import { LIVE_WINDOW_MS, STATS_BUDGET, STATS_RETRY_AFTER_S, type StatsPanel, type StatsQuery, VISIT_MARGIN_MS } from '@trailmark/protocol';
import type { Db, Queryable } from './db.js';

/**
 * What one `GET /v1/stats/:panel` may cost pg-ingest (issue 27). A public write key chooses how many rows a range
 * holds, so a stats request is bounded whatever it sent, and never holds ingest or the health check:
 * - `timeMs`: PostgreSQL cancels each of its statements past this (`SET LOCAL statement_timeout`).
 * - `maxRows`: the rows of the range a request may have the database go through (`rangeRows`: its visits and
 *   their events, the events within a visit's margin of it), counted first on the indexes, stopping past. PGlite
 *   runs a query on the server's own thread and cannot cancel it (no `statement_timeout`: it never fires), so a
 *   query must be small enough before it starts; 0 turns the count off (PostgreSQL's default: it has the timeout).
 * - `concurrency`, `maxWaiting`: stats requests at the database at once, and waiting behind them (a burst of 200
 *   reads is queued, not refused: each waits up to `waitMs` for its turn). On PostgreSQL the others of the pool stay free for
 *   ingest; on PGlite an ingest statement waits behind one stats query at most.
 * Past any of them the answer is 503 `unavailable` with `Retry-After`.
 */
export interface PgStatsBudget {
  timeMs: number;
  maxRows: number;
  concurrency: number;
  maxWaiting: number;
  waitMs: number;
}

/**
 * PGlite's default. `maxRows` is the largest count at which its heaviest panel still leaves the server's thread
 * within about a second (measured by `npm run bench`, "stats cost": see docs/backends/postgres.md § Stats budget).
 */
export const PGLITE_STATS_BUDGET: PgStatsBudget = {
  timeMs: STATS_BUDGET.timeMs,
  maxRows: 60_000,
  concurrency: 1,
  maxWaiting: 1000,
  waitMs: 30_000,
};

/** PostgreSQL's default: a 10 s statement timeout, two of the pool's ten connections for stats. */
export const POSTGRES_STATS_BUDGET: PgStatsBudget = {
  timeMs: STATS_BUDGET.timeMs,
  maxRows: 0,
  concurrency: 2,
  maxWaiting: 1000,
  waitMs: 30_000,
};

/** The budget of a database kind, with the options given over its defaults. */
export function statsBudgetFor(kind: Db['kind'], options: Partial<PgStatsBudget> = {}): PgStatsBudget {
  return budgetWith(kind === 'pglite' ? PGLITE_STATS_BUDGET : POSTGRES_STATS_BUDGET, options);
}

/** A stats request refused by its budget: answered 503 with `Retry-After`, never thrown past the route. */
export class StatsRefusal extends Error {
  override name = 'StatsRefusal';
  readonly retryAfterSeconds = STATS_RETRY_AFTER_S;
}

/** Why a request whose range holds more rows than the budget is refused. */
export const tooManyRows = (max: number) =>
  `the range holds more than ${max} rows (visits and events), more than one stats request reads; ask for a shorter range`;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How many rows a panel's request would have the database go through, each table read stopping at `limit`: for
 * `live`, the raw events of the live window; for the other panels, the visits starting in the range weighted by
 * their events (`1 + event_count`: a visit's pages and events are rows of the rollups and event tables too), plus
 * the pageviews and other events within a visit's margin of the range (goals and funnel steps are found there).
 * Range scans of the tables' `(site_id, time)` indexes. The reports read the per-visit rollups of those visits
 * (migration 05), rows of the same visits.
 */
export async function rangeRows(db: Queryable, siteId: string, panel: StatsPanel, query: StatsQuery, now: number, limit: number) {
  const count = (table: string, column: string) =>
    `(SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE site_id = $1 AND ${column} >= $3::timestamptz AND ${column} <= $4::timestamptz LIMIT $2) x)`;
  const [row] =
    panel === 'live'
      ? await db.query<{ n: string }>(`SELECT ${count('events_log', '"timestamp"')}::text AS n`, [
          siteId,
          limit,
          iso(now - LIVE_WINDOW_MS),
          'infinity',
        ])
      : await db.query<{ n: string }>(
          `SELECT ((SELECT COALESCE(sum(1 + event_count), 0) FROM (
                      SELECT event_count FROM user_sessions
                      WHERE site_id = $1 AND session_start >= $5::timestamptz AND session_start < $6::timestamptz LIMIT $2) s)
                   + ${count('pageviews', 'view_timestamp')} + ${count('user_events', 'event_timestamp')})::text AS n`,
          [siteId, limit, iso(query.from - VISIT_MARGIN_MS), iso(query.to + VISIT_MARGIN_MS), iso(query.from), iso(query.to)],
        );
  return Number(row?.n ?? 0);
}

/** PostgreSQL's error when `statement_timeout` cancelled a statement (`query_canceled`). */
export const isStatementTimeout = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '57014';

/**
 * The database as a stats request sees it. On PostgreSQL every statement runs in a transaction whose
 * `statement_timeout` is the budget's, so the server itself stops a query that runs over (`SET LOCAL`: the pooled
 * connection goes back to ingest without it). PGlite runs each statement on this thread and hands the next one its
 * turn in a promise callback: a stats request's statements, and the next request's after them, would follow each
 * other without the event loop ever reading a socket (a health check sent during a burst of twelve was read after
 * the last of them). So each stats statement first waits for the event loop's next turn (`setImmediate`): what
 * arrived meanwhile is read and queued ahead of it.
 */
export function forStats(db: Db, timeMs: number): Db {
  if (db.kind === 'pglite') {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    return {
      kind: db.kind,
      async query<R>(sql: string, params?: readonly unknown[]) {
        await turn();
        return db.query<R>(sql, params);
      },
      async exec(sql: string) {
        await turn();
        return db.exec(sql);
      },
      async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
        await turn();
        return db.transaction(fn);
      },
      close: () => db.close(),
    };
  }
  const setting = `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeMs))}`;
  const transaction = <T>(fn: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.query(setting);
      return fn(tx);
    });
  return {
    kind: db.kind,
    query: (sql, params) => transaction((tx) => tx.query(sql, params)),
    exec: (sql) => transaction((tx) => tx.exec(sql)),
    transaction,
    close: () => db.close(),
  };
}
