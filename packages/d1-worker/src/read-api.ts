import { json } from './http.js';
import { containsClause, dateParam, intParam, textParam } from './query-params.js';

/**
 * A site's visitors are the rows written with any of its write keys; `?1` is the site id.
 * Reading by site (not by key) keeps history when a write key is rotated.
 */
export const SITE_VISITORS = `api_key IN (SELECT api_key FROM api_keys WHERE site_id = ?1 AND kind = 'write')`;

const VISITOR_COLUMNS = `id, visitor_id, company, location, last_role, website, page_views, first_seen_at, last_seen_at,
  total_time_seconds, video_session_id, video_invited_at, video_accepted_at, video_status`;

/**
 * `GET /api/visitors`: newest first, `limit`/`offset`, filtered by `from`/`to` (last seen), `company`,
 * `location` (substring, case-insensitive), `q` (visitor id contains) and `active_hours` (seen lately).
 */
export async function listVisitors(db: D1Database, siteId: string, params: URLSearchParams): Promise<Response> {
  const limit = intParam(params, 'limit', 100, 1, 1000);
  const offset = intParam(params, 'offset', 0, 0, 1_000_000);
  const where = [SITE_VISITORS];
  const binds: unknown[] = [siteId];
  const add = (clause: string | ((placeholder: string) => string), value: unknown) => {
    binds.push(value);
    const placeholder = `?${binds.length}`;
    where.push(typeof clause === 'string' ? clause.replace('?', placeholder) : clause(placeholder));
  };
  const from = dateParam(params, 'from');
  if (from) add('last_seen_at >= ?', from);
  const to = dateParam(params, 'to', { wholeDay: true });
  if (to) add('last_seen_at <= ?', to);
  const company = textParam(params, 'company');
  if (company) add((p) => containsClause('company', p), company);
  const location = textParam(params, 'location');
  if (location) add((p) => containsClause('location', p), location);
  const q = textParam(params, 'q', 128);
  if (q) add((p) => containsClause('visitor_id', p), q);
  const activeHours = intParam(params, 'active_hours', 0, 0, 24 * 366);
  if (activeHours) add("last_seen_at >= datetime('now', ?)", `-${activeHours} hours`);
  const filter = where.join(' AND ');
  const [rows, total] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT ${VISITOR_COLUMNS} FROM visitors WHERE ${filter} ORDER BY last_seen_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`,
      )
      .bind(...binds),
    db.prepare(`SELECT COUNT(*) AS total FROM visitors WHERE ${filter}`).bind(...binds),
  ]);
  return json({ ok: true, visitors: rows?.results ?? [], total: total?.results[0]?.total ?? 0, limit, offset });
}

/** One visitor of the site by visitor id (the most recently seen row when several write keys saw them). */
export async function findVisitor(db: D1Database, siteId: string, visitorId: string): Promise<Record<string, unknown> | null> {
  return db
    .prepare(`SELECT ${VISITOR_COLUMNS} FROM visitors WHERE ${SITE_VISITORS} AND visitor_id = ?2 ORDER BY last_seen_at DESC LIMIT 1`)
    .bind(siteId, visitorId)
    .first<Record<string, unknown>>();
}

/**
 * `GET /api/stats`: unique visitors, total page views, top companies, the daily timeline of the last `days` (UTC
 * days, today included: each day's visitors and page views from what happened that day, `visitor_days`; the seed's
 * query put all of a visitor's page views on their first day), and how many were active in the last `hours`.
 */
export async function siteStats(db: D1Database, siteId: string, params: URLSearchParams): Promise<Response> {
  const hours = intParam(params, 'hours', 24, 1, 24 * 366);
  const days = intParam(params, 'days', 30, 1, 366);
  const [totals, companies, timeline, active] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT COUNT(DISTINCT visitor_id) AS unique_visitors, COALESCE(SUM(page_views), 0) AS total_page_views,
           COALESCE(SUM(total_time_seconds), 0) AS total_time_seconds FROM visitors WHERE ${SITE_VISITORS}`,
      )
      .bind(siteId),
    db
      .prepare(
        `SELECT company, COUNT(*) AS visits, COALESCE(SUM(page_views), 0) AS total_views FROM visitors
         WHERE ${SITE_VISITORS} AND company IS NOT NULL GROUP BY company ORDER BY visits DESC, total_views DESC LIMIT 10`,
      )
      .bind(siteId),
    db
      .prepare(
        `SELECT day AS date, COUNT(DISTINCT visitor_id) AS unique_visitors, COALESCE(SUM(page_views), 0) AS page_views
         FROM visitor_days WHERE ${SITE_VISITORS} AND day >= DATE('now', ?2)
         GROUP BY day ORDER BY day DESC`,
      )
      .bind(siteId, `-${days - 1} days`),
    db
      .prepare(`SELECT COUNT(*) AS active_visitors FROM visitors WHERE ${SITE_VISITORS} AND last_seen_at >= datetime('now', ?2)`)
      .bind(siteId, `-${hours} hours`),
  ]);
  const first = totals?.results[0] ?? {};
  return json({
    ok: true,
    unique_visitors: first.unique_visitors ?? 0,
    total_page_views: first.total_page_views ?? 0,
    total_time_seconds: first.total_time_seconds ?? 0,
    top_companies: companies?.results ?? [],
    timeline: timeline?.results ?? [],
    active: { hours, visitors: active?.results[0]?.active_visitors ?? 0 },
  });
}

/**
 * `GET /api/video/acceptance`: invitations and how many were accepted, over every invitation ever made
 * (`video_sessions`), not each visitor's latest: a visitor invited again keeps the call they accepted before.
 * Unlike the seed's query, a completed call counts as accepted (it was accepted first).
 */
export async function videoAcceptance(db: D1Database, siteId: string): Promise<Response> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS total_invites,
         COALESCE(SUM(s.accepted_at IS NOT NULL OR s.status IN ('accepted', 'completed')), 0) AS accepted,
         COALESCE(SUM(s.status = 'declined'), 0) AS declined,
         COALESCE(SUM(s.status = 'completed'), 0) AS completed,
         COALESCE(SUM(s.status = 'invited'), 0) AS pending
       FROM video_sessions s JOIN visitors v ON v.id = s.visitor_row_id
       WHERE v.${SITE_VISITORS}`,
    )
    .bind(siteId)
    .first<Record<string, number>>();
  const total = row?.total_invites ?? 0;
  const accepted = row?.accepted ?? 0;
  return json({
    ok: true,
    total_invites: total,
    accepted,
    declined: row?.declined ?? 0,
    completed: row?.completed ?? 0,
    pending: row?.pending ?? 0,
    acceptance_rate: total === 0 ? 0 : Math.round((10_000 * accepted) / total) / 100,
  });
}

/** A visitor's video invitations, oldest first. */
export async function videoSessions(db: D1Database, visitorRowId: unknown): Promise<Record<string, unknown>[]> {
  const result = await db
    .prepare(
      `SELECT video_session_id, status, invited_at, accepted_at, declined_at, completed_at
       FROM video_sessions WHERE visitor_row_id = ?1 ORDER BY id`,
    )
    .bind(visitorRowId)
    .all<Record<string, unknown>>();
  return result.results;
}

/**
 * `GET /api/events`: the stored events of the site, oldest first, filtered by `visitor_id`,
 * `session_id`, `type`, and `since` (server ms); what e2e tests assert on.
 */
export async function listEvents(db: D1Database, siteId: string, params: URLSearchParams): Promise<Response> {
  const limit = intParam(params, 'limit', 100, 1, 1000);
  const since = intParam(params, 'since', 0, 0, Number.MAX_SAFE_INTEGER);
  const where = ['site_id = ?1', 'ts >= ?2'];
  const binds: unknown[] = [siteId, since];
  for (const name of ['visitor_id', 'session_id', 'type'] as const) {
    const value = textParam(params, name, 128);
    if (value === undefined) continue;
    binds.push(value);
    where.push(`${name} = ?${binds.length}`);
  }
  const result = await db
    .prepare(`SELECT payload, ts, received_at FROM events WHERE ${where.join(' AND ')} ORDER BY ts, event_id LIMIT ${limit}`)
    .bind(...binds)
    .all<{ payload: string; ts: number; received_at: number }>();
  const events = result.results.map((row) => ({ ...(JSON.parse(row.payload) as object), server_ts: row.ts, received_at: row.received_at }));
  return json({ ok: true, events });
}
