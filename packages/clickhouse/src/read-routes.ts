import { LIVE_WINDOW_MS } from '@trailmark/protocol';
import type { ChStore } from './store.js';

// The read routes beside the stats panels, as the other backends have them: the stored events (an export, paged)
// and the visits active now (the live feed). Both take the secret read key, answer JSON, and a bad parameter is a
// string the route answers as 400 `invalid_request`.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An optional whole-number parameter within bounds (the fallback when absent), or what is wrong with it. */
export function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number | string {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) return `${name} must be a whole number from ${min} to ${max}`;
  return Number(raw);
}

/** An optional text parameter of at most `max` characters without control characters, or what is wrong with it. */
function textParam(params: URLSearchParams, name: string, max: number): { value: string | undefined } | string {
  const value = params.get(name);
  if (value === null || value === '') return { value: undefined };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (value.length > max || /[\u0000-\u001f]/.test(value)) return `${name} must be at most ${max} characters, without control characters`;
  return { value };
}

/**
 * `GET /v1/events`: the site's stored events, oldest first (server time, then event id), each once, as the client
 * sent them (redacted at admission) with their `server_ts`. Filters `visitor_id`, `session_id`, `type`; `since` and
 * `until` (server ms, both included); `limit` 1–1000 (default 100). `next` is the cursor of the following page
 * (`after=`), null on the last one.
 */
export function exportEvents(store: ChStore, siteId: string, params: URLSearchParams): Promise<unknown> | string {
  const limit = intParam(params, 'limit', 1, 1000, 100);
  const since = intParam(params, 'since', 0, Number.MAX_SAFE_INTEGER, 0);
  const until = intParam(params, 'until', 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  for (const problem of [limit, since, until]) if (typeof problem === 'string') return problem;
  const where = ['site_id = {site:String}', 'ts >= {since:Int64}', 'ts <= {until:Int64}'];
  const binds: Record<string, unknown> = { site: siteId, since, until, limit };
  for (const name of ['visitor_id', 'session_id', 'type'] as const) {
    const text = textParam(params, name, 256);
    if (typeof text === 'string') return text;
    if (text.value === undefined) continue;
    where.push(`${name} = {${name}:String}`);
    binds[name] = text.value;
  }
  const after = params.get('after');
  if (after !== null && after !== '') {
    const match = /^(\d{1,16})_([0-9a-f-]{36})$/.exec(after);
    if (!match || !UUID.test(match[2] as string)) return 'after must be the next cursor of a previous page';
    where.push('(ts, toString(event_id)) > ({after_ts:Int64}, {after_id:String})');
    binds.after_ts = Number(match[1]);
    binds.after_id = match[2];
  }
  return (async () => {
    const rows = await store.query<{ raw: string; ts: unknown; id: string }>(
      `SELECT raw, ts, toString(event_id) AS id FROM events WHERE ${where.join(' AND ')}
       ORDER BY ts, id LIMIT 1 BY ts, id LIMIT {limit:UInt32}`,
      binds,
    );
    const events = rows.map((row) => ({ ...(JSON.parse(row.raw) as object), server_ts: Number(row.ts) }));
    const last = rows[rows.length - 1];
    return { events, next: last && rows.length === limit ? `${Number(last.ts)}_${last.id}` : null };
  })();
}

/**
 * `GET /v1/sessions/active`: the visits with an event in the last five minutes (what the loaders loaded), the
 * latest first: their visitor, start, last event, events, pageviews, entry and exit page, source and referrer.
 * `limit` 1–1000 (default 100).
 */
export function activeSessions(store: ChStore, siteId: string, params: URLSearchParams, now: number): Promise<unknown> | string {
  const limit = intParam(params, 'limit', 1, 1000, 100);
  if (typeof limit === 'string') return limit;
  return (async () => {
    const rows = await store.query<Record<string, unknown>>(
      `SELECT a.session_id AS session_id, v.visitor_id AS visitor_id, v.start_ms AS started_at, a.last AS last_event_at,
              a.events AS events, v.pageviews AS pageviews, v.entry_page AS entry_page, v.exit_page AS exit_page,
              v.source AS source, v.referrer AS referrer, v.utm_source AS utm_source, v.utm_campaign AS utm_campaign
       FROM (SELECT session_id, max(ts) AS last, uniqExact(event_id) AS events FROM events
             WHERE site_id = {site:String} AND ts >= {since:Int64} AND type != 'sdk_dropped' GROUP BY session_id) AS a
       INNER JOIN (SELECT session_id, visitor_id, start_ms, pageviews, entry_page, exit_page, source, referrer, utm_source, utm_campaign
                   FROM visits FINAL WHERE site_id = {site:String}
                     AND session_id IN (SELECT session_id FROM events WHERE site_id = {site:String} AND ts >= {since:Int64})) AS v
         ON v.session_id = a.session_id
       ORDER BY last_event_at DESC, session_id LIMIT {limit:UInt32}`,
      { site: siteId, since: now - LIVE_WINDOW_MS, limit },
    );
    const sessions = rows.map((row) => ({
      ...row,
      started_at: Number(row.started_at),
      last_event_at: Number(row.last_event_at),
      events: Number(row.events),
      pageviews: Number(row.pageviews),
    }));
    return { window_s: LIVE_WINDOW_MS / 1000, sessions };
  })();
}
