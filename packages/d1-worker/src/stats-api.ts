import {
  errorResponse,
  isStatsPanel,
  panelAnswer,
  panelPlan,
  panelSql,
  parseStatsQuery,
  rangeTooLarge,
  rangeVisitsSql,
  readWithinBudget,
  STATS_BUDGET,
  STATS_RETRY_AFTER_S,
  type StatsBudget,
  type StatsRead,
  statsEventOf,
  statsFromEvents,
  statsResponse,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import { foldPendingStep } from './visit-fold.js';
import { backfillStep } from './visit-rollups.js';

/** Sweep steps (`foldPendingStep`, up to 100 visits each) a stats read runs at most before it reads the rollups. */
const SWEEP_STEPS = 10;

/**
 * The Worker's stats budget: the protocol's time, and at most 50,000 events read by one request. Measured by
 * `npm run bench` ("d1 stats memory", bench/d1-stats-memory.mjs: one live read refused at its budget, 105,000
 * events in range, local workerd at 58 MiB before). With pageviews carrying a title, referrer and language as the
 * SDK sends them: 25,000 events +107 MiB, 50,000 +185 MiB (243 MiB in all), 75,000 +207 MiB, 100,000 (the
 * protocol's default, this one's before) +221 MiB (280 MiB in all). With the bench's smaller rows (url and path):
 * +93, +112, +152 and +178 MiB (236 MiB in all at 100,000). 50,000 is the largest measured that keeps workerd
 * within 256 MiB with the fuller rows; a deployed Worker's 128 MB may want lower.
 */
export const D1_STATS_BUDGET: StatsBudget = { maxEvents: 50_000, timeMs: STATS_BUDGET.timeMs };

/**
 * `GET /v1/stats/:panel`, the dashboard's read contract (see `parseStatsQuery` in @trailmark/protocol): each panel
 * is one query over the per-visit rollups (migration 0008, the SQL the reference receiver runs too). Live visitors
 * are counted from the events of the last five minutes, the definition every backend shares.
 */
export async function statsApi(
  db: D1Database,
  siteId: string,
  panel: string,
  params: URLSearchParams,
  now = Date.now(),
  budget: StatsBudget = D1_STATS_BUDGET,
): Promise<Response> {
  if (!isStatsPanel(panel)) return errorResponse('not_found', `no stats panel ${panel.slice(0, 64)}`);
  const query = parseStatsQuery(params, now);
  if (typeof query === 'string') return errorResponse('invalid_request', query);
  if (panel === 'live') {
    let refused: Extract<StatsRead, { ok: false }> | undefined;
    const data = await statsFromEvents(panel, query, now, async (fromTs, toTs) => {
      const read = await readEvents(db, siteId, fromTs, toTs, budget);
      if (read.ok) return read.events;
      refused = read;
      return [];
    });
    if (refused) return errorResponse('unavailable', refused.error, { 'retry-after': String(refused.retryAfterSeconds) });
    return statsResponse(panel, siteId, data, params);
  }
  // Events stored before migration 0008 are rolled up a step at a time; each read moves it on.
  await backfillStep(db);
  // Events a failed or outrun fold left queued (normally none: one empty read) are folded before the rollups are read.
  for (let step = 0; step < SWEEP_STEPS && (await foldPendingStep(db)); step++);
  // A rollup panel reads the range's visit rows: bounded like a raw read (issue 27) by counting them first.
  const count = rangeVisitsSql(siteId, query, budget.maxEvents + 1);
  const range = await db
    .prepare(count.sql)
    .bind(...count.params)
    .first<{ n: number; lo: number | null; hi: number | null }>();
  if ((range?.n ?? 0) > budget.maxEvents) {
    return errorResponse('unavailable', rangeTooLarge(budget.maxEvents, 'visits'), { 'retry-after': String(STATS_RETRY_AFTER_S) });
  }
  const { sql, params: binds } = panelSql(panel, siteId, query, panelPlan(query, range ?? undefined));
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<Record<string, unknown>>();
  return statsResponse(panel, siteId, panelAnswer(panel, query, results), params);
}

const PAGE = 5000;

/**
 * The site's events in a span of server time, a page at a time in `(ts, rowid)` order, within the request's budget:
 * at most `budget.maxEvents` events are held in the isolate (reading every event of the range at once took workerd
 * to ~1 GB, issue 27). `props` are read only where a panel uses them (web vitals): the rest can be kilobytes each.
 */
function readEvents(db: D1Database, siteId: string, fromTs: number, toTs: number, budget: StatsBudget): Promise<StatsRead> {
  const statement = db.prepare(
    `SELECT rowid AS id, ts, user_agent,
            CASE WHEN type = 'web_vital' THEN payload ELSE json_remove(payload, '$.props') END AS payload
       FROM events
      WHERE site_id = ?1 AND ts >= ?2 AND ts <= ?3 AND (ts > ?2 OR rowid > ?4)
      ORDER BY ts, rowid
      LIMIT ${PAGE}`,
  );
  return readWithinBudget<{ ts: number; id: number }>(async (after) => {
    const { results } = await statement
      .bind(siteId, after?.ts ?? fromTs, toTs, after?.id ?? -1)
      .all<{ id: number; ts: number; payload: string; user_agent: string | null }>();
    const last = results[results.length - 1];
    return {
      events: results.map((row) => statsEventOf(JSON.parse(row.payload) as TrailmarkEvent, row.ts, row.user_agent)),
      next: results.length === PAGE && last ? { ts: last.ts, id: last.id } : undefined,
    };
  }, budget);
}
