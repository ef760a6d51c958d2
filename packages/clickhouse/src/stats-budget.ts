import { budgetWith } from '@trailmark/node-http';
import { STATS_BUDGET, STATS_RETRY_AFTER_S } from '@trailmark/protocol';
import type { ChStore } from './store.js';

/**
 * What one `GET /v1/stats/:panel` may cost the ClickHouse backend (issue 27). A public write key chooses how many
 * rows a range holds, so each request is bounded whatever it sent, by ClickHouse itself, on every query it runs:
 * - `timeMs`: `max_execution_time` (ClickHouse stops the query and throws `TIMEOUT_EXCEEDED`);
 * - `maxRows`: `max_rows_to_read` with `read_overflow_mode = 'throw'` (`TOO_MANY_ROWS`), checked as it reads;
 * - `maxMemoryBytes`: `max_memory_usage` (`MEMORY_LIMIT_EXCEEDED`);
 * - `concurrency`, `maxWaiting`, `waitMs`: stats requests at ClickHouse at once and waiting behind them. chDB runs
 *   the parameterized queries of a process one at a time (libchdb binds a query's parameters process-wide), so a
 *   loader's or the SDK check's query waits behind at most `concurrency` stats queries, each bounded in time.
 * Past any of them the answer is 503 `unavailable` with `Retry-After`.
 */
export interface ChStatsBudget {
  timeMs: number;
  maxRows: number;
  maxMemoryBytes: number;
  concurrency: number;
  maxWaiting: number;
  waitMs: number;
}

/**
 * The default: 10 s a query (`STATS_BUDGET.timeMs`, as every backend), 100M rows (a 30-day view of 10M events reads
 * about 13M rows at most: see docs/backends/clickhouse.md § Stats budget), 2 GiB, one stats query at once on chDB
 * (its parameterized queries run one at a time anyway), two on a ClickHouse server.
 */
export function chStatsBudget(kind: ChStore['kind'], options: Partial<ChStatsBudget> = {}): ChStatsBudget {
  const defaults: ChStatsBudget = {
    timeMs: STATS_BUDGET.timeMs,
    maxRows: 100_000_000,
    maxMemoryBytes: 2 * 1024 ** 3,
    concurrency: kind === 'clickhouse' ? 2 : 1,
    maxWaiting: 1000,
    waitMs: 30_000,
  };
  return budgetWith(defaults, options);
}

/** The `SETTINGS` clause of every query of a stats request (0 leaves a bound off). */
export function budgetSettings(budget: ChStatsBudget | undefined, oneThread: boolean): string {
  const settings: string[] = [];
  if (!budget) return oneThread ? 'max_threads = 1' : '';
  if (budget.timeMs > 0) settings.push(`max_execution_time = ${budget.timeMs / 1000}`, `timeout_overflow_mode = 'throw'`);
  if (budget.maxRows > 0) settings.push(`max_rows_to_read = ${budget.maxRows}`, `read_overflow_mode = 'throw'`);
  if (budget.maxMemoryBytes > 0) settings.push(`max_memory_usage = ${budget.maxMemoryBytes}`);
  if (oneThread) settings.push('max_threads = 1');
  return settings.join(', ');
}

/** The store with `settings` on every query. */
export function withSettings(store: ChStore, settings: string): ChStore {
  if (settings === '') return store;
  return { ...store, query: (sql, params) => store.query(`${sql} SETTINGS ${settings}`, params) };
}

/** A stats request refused by its budget: answered 503 with `Retry-After`, never thrown past the route. */
export class StatsRefusal extends Error {
  override name = 'StatsRefusal';
  readonly retryAfterSeconds = STATS_RETRY_AFTER_S;
}

/** ClickHouse's errors for a query stopped by one of the limits `budgetSettings` sets. */
const OVER_BUDGET =
  /\b(TIMEOUT_EXCEEDED|TOO_SLOW|TOO_MANY_ROWS|TOO_MANY_ROWS_OR_BYTES|MEMORY_LIMIT_EXCEEDED)\b|\bCode: (158|159|160|241|396)\b/;
const NAMES: Record<string, string> = {
  158: 'TOO_MANY_ROWS',
  159: 'TIMEOUT_EXCEEDED',
  160: 'TOO_SLOW',
  241: 'MEMORY_LIMIT_EXCEEDED',
  396: 'TOO_MANY_ROWS_OR_BYTES',
};

/**
 * The refusal a failed stats query stands for when ClickHouse stopped it at the budget (chDB says so in its message,
 * the HTTP client in the error's `type` or `code`), else undefined (ClickHouse is failing: a plain 503).
 */
export function overBudget(error: unknown, budget: ChStatsBudget): StatsRefusal | undefined {
  for (let e = error as { message?: unknown; type?: unknown; code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    const match = OVER_BUDGET.exec(`${String(e.message ?? '')} ${String(e.type ?? '')} Code: ${String(e.code ?? '')}`);
    const name = match && (match[1] ?? NAMES[match[2] as string]);
    if (!name) continue;
    const limit =
      name.startsWith('TIME') || name === 'TOO_SLOW'
        ? `its ${budget.timeMs} ms budget`
        : name.startsWith('MEMORY')
          ? `its ${budget.maxMemoryBytes} bytes of memory`
          : `its ${budget.maxRows} rows`;
    return new StatsRefusal(`the stats request went over ${limit} (${name}); ask for a shorter range, or retry later`);
  }
  return undefined;
}

/** How a request reads: on one thread or more. */
export interface ReadPlan {
  /** Below `ONE_THREAD_VISITS` visit rows a panel runs on one thread. */
  oneThread: boolean;
}

/** The read plan of a node's requests. */
export interface ReadPlanner {
  plan(store: ChStore): Promise<ReadPlan>;
}

/** Below this many visit rows (all sites) a panel runs on one thread: on a busy machine a second cost more than it saved. */
export const ONE_THREAD_VISITS = 200_000;
/** How long the size of the visits table is taken as known, ms (it only picks the plan; every plan is exact). */
const SIZE_TTL_MS = 10_000;

const VISIT_ROWS = `SELECT sum(rows) AS visit_rows FROM system.parts
  WHERE database = currentDatabase() AND table = 'visits' AND active`;

/** Plans each request by the size of the visits table, asked again at most every 10 s. */
export function readPlanner({ oneThreadVisits = ONE_THREAD_VISITS, clock = Date.now } = {}): ReadPlanner {
  let size = { rows: 0, at: Number.NEGATIVE_INFINITY };
  return {
    async plan(store) {
      if (clock() - size.at >= SIZE_TTL_MS) {
        const [row] = await store.query<{ visit_rows: unknown }>(VISIT_ROWS);
        size = { rows: Number(row?.visit_rows ?? 0), at: clock() };
      }
      return { oneThread: size.rows < oneThreadVisits };
    },
  };
}
