import {
  errorResponse,
  isStatsPanel,
  parseStatsQuery,
  type StatsEvent,
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
): Promise<Response> {
  if (!isStatsPanel(panel)) return errorResponse('not_found', `no stats panel ${panel.slice(0, 64)}`);
  const query = parseStatsQuery(params, now);
  if (typeof query === 'string') return errorResponse('invalid_request', query);
  const data = await statsFromEvents(panel, query, now, (fromTs, toTs) => readEvents(db, siteId, fromTs, toTs));
  return json({ ok: true, site_id: siteId, data });
}

async function readEvents(db: D1Database, siteId: string, fromTs: number, toTs: number): Promise<StatsEvent[]> {
  const { results } = await db
    .prepare('SELECT ts, payload, user_agent FROM events WHERE site_id = ?1 AND ts >= ?2 AND ts <= ?3')
    .bind(siteId, fromTs, toTs)
    .all<{ ts: number; payload: string; user_agent: string | null }>();
  return results.map((row) => statsEventOf(JSON.parse(row.payload) as TrailmarkEvent, row.ts, row.user_agent));
}
