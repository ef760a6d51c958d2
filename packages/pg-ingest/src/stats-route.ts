import { isStatsPanel, parseStatsQuery, type StatsPanel, type StatsQuery } from '@trailmark/protocol';
import type { IngestContext } from './context.js';
import { forStats, isStatementTimeout, rangeRows, StatsRefusal, tooManyRows } from './stats-budget.js';
import { statsPanelSql } from './stats-queries.js';

/**
 * `GET /v1/stats/:panel` within the request's budget (`PgStatsBudget`, issue 27): bad parameters are answered at
 * once (a string naming them); then the request waits for a place among the stats requests, on PGlite counts the
 * rows of its range, and runs its panel (on PostgreSQL under `statement_timeout`). Throws `StatsRefusal` when a
 * budget is spent, for the route to answer 503 with `Retry-After`.
 */
export function budgetedStats(ctx: IngestContext, siteId: string, url: URL): Promise<unknown> | string {
  const now = ctx.clock();
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  if (typeof query === 'string') return query;
  return run(ctx, siteId, panel, query, url, now);
}

async function run(ctx: IngestContext, siteId: string, panel: StatsPanel, query: StatsQuery, url: URL, now: number) {
  const { budget, slots } = ctx.stats;
  const release = await slots.take(budget.waitMs);
  if (!release) throw new StatsRefusal(`${slots.busy} stats requests are running and ${slots.waiting} waiting; retry later`);
  try {
    const db = forStats(ctx.db, budget.timeMs);
    if (budget.maxRows > 0) {
      const rows = await rangeRows(db, siteId, panel, query, now, budget.maxRows + 1);
      if (rows > budget.maxRows) throw new StatsRefusal(tooManyRows(budget.maxRows));
    }
    return await statsPanelSql(db, siteId, url, now);
  } catch (error) {
    if (isStatementTimeout(error)) throw new StatsRefusal(`the stats request ran over its ${budget.timeMs} ms budget; retry later`);
    throw error;
  } finally {
    release();
  }
}
