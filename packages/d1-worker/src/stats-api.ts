import {
  errorResponse,
  isStatsPanel,
  parseStatsQuery,
  readWithinBudget,
  STATS_BUDGET,
  type StatsBudget,
  type StatsRead,
  statsEventOf,
  statsFromEvents,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import { json } from './http.js';

/**
 * `GET /v1/stats/:panel`, the dashboard's read contract (see `parseStatsQuery` in @trailmark/protocol): the
 * site's events around the range are read from `events` and the panel is computed by the protocol's reference
 * code, so the Worker's figures are the reference receiver's. Live visitors are counted from the same table
 * (events in the last five minutes), the definition every backend shares.
 */
export async function statsApi(
  db: D1Database,
  siteId: string,
  panel: string,
  params: URLSearchParams,
  now = Date.now(),
  budget: StatsBudget = STATS_BUDGET,
): Promise<Response> {
  if (!isStatsPanel(panel)) return errorResponse('not_found', `no stats panel ${panel.slice(0, 64)}`);
  const query = parseStatsQuery(params, now);
  if (typeof query === 'string') return errorResponse('invalid_request', query);
  let refused: Extract<StatsRead, { ok: false }> | undefined;
  const data = await statsFromEvents(panel, query, now, async (fromTs, toTs) => {
    const read = await readEvents(db, siteId, fromTs, toTs, budget);
    if (read.ok) return read.events;
    refused = read;
    return [];
  });
  if (refused) return errorResponse('unavailable', refused.error, { 'retry-after': String(refused.retryAfterSeconds) });
  return json({ ok: true, site_id: siteId, data });
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
