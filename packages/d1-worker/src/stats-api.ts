import {
  errorResponse,
  isStatsPanel,
  panelAnswer,
  panelSql,
  parseStatsQuery,
  type StatsEvent,
  statsEventOf,
  statsFromEvents,
  statsResponse,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import { backfillStep } from './visit-rollups.js';

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
): Promise<Response> {
  if (!isStatsPanel(panel)) return errorResponse('not_found', `no stats panel ${panel.slice(0, 64)}`);
  const query = parseStatsQuery(params, now);
  if (typeof query === 'string') return errorResponse('invalid_request', query);
  if (panel === 'live') {
    const data = await statsFromEvents(panel, query, now, (fromTs, toTs) => readEvents(db, siteId, fromTs, toTs));
    return statsResponse(panel, siteId, data, params);
  }
  // Events stored before migration 0008 are rolled up a step at a time; each read moves it on.
  await backfillStep(db);
  const { sql, params: binds } = panelSql(panel, siteId, query);
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<Record<string, unknown>>();
  return statsResponse(panel, siteId, panelAnswer(panel, query, results), params);
}

async function readEvents(db: D1Database, siteId: string, fromTs: number, toTs: number): Promise<StatsEvent[]> {
  const { results } = await db
    .prepare('SELECT ts, payload, user_agent FROM events WHERE site_id = ?1 AND ts >= ?2 AND ts <= ?3')
    .bind(siteId, fromTs, toTs)
    .all<{ ts: number; payload: string; user_agent: string | null }>();
  return results.map((row) => statsEventOf(JSON.parse(row.payload) as TrailmarkEvent, row.ts, row.user_agent));
}
