import { isStatsPanel, LIVE_WINDOW_MS, OPTIONAL_DIMENSIONS, parseStatsQuery, STATS_PANELS, type StatsQuery } from '@trailmark/protocol';
import type { Db, Queryable } from './db.js';
import { REPORT_PANELS } from './report-queries.js';
import {
  binds,
  eventWindow,
  iso,
  ORDER,
  orderedBy,
  type PanelSite,
  person,
  perVisitor,
  rollupRows,
  streamable,
  streams,
  valueFirst,
  visitsCte,
} from './stats-sql.js';

// The dashboard's read contract (`GET /v1/stats/:panel`) in SQL over the ETL's tables: a visit is a
// `user_sessions` row, its pages are `pageviews` rows, its other events `user_events` rows. The figures and their
// order are the ones `statsPanel()` in @trailmark/protocol computes from raw events (the tests hold them equal):
// counts only (cast to int), strings ordered by code point (COLLATE "C"), unknown values last.

async function summary(db: Queryable, site: PanelSite, query: StatsQuery) {
  const b = binds();
  const [row] = await db.query(
    `${visitsCte(site, query, b)}${perVisitor(streams(site, query))}
     SELECT count(*)::int AS visitors, COALESCE(sum(visits), 0)::int AS visits, COALESCE(sum(pageviews), 0)::int AS pageviews,
            COALESCE(sum(bounces), 0)::int AS bounces, COALESCE(sum(duration_s), 0)::int AS duration_s
     FROM per`,
    b.values,
  );
  return row;
}

async function timeseries(db: Queryable, site: PanelSite, query: StatsQuery) {
  const b = binds();
  // UTC hours or days from the epoch, binned as timestamps (per-row numeric epoch arithmetic cost a third of
  // the panel's time at a million events); each bucket's start becomes epoch ms once, after the aggregates.
  const size = b.add(query.interval === 'hour' ? '1 hour' : '1 day');
  const bucket = `date_bin(${size}::interval, session_start, '1970-01-01T00:00:00Z'::timestamptz)`;
  const points = await db.query(
    `${visitsCte(site, query, b)}${perVisitor(streams(site, query), bucket)}
     SELECT (extract(epoch FROM value) * 1000)::float8 AS t, count(*)::int AS visitors, sum(visits)::int AS visits,
            sum(pageviews)::int AS pageviews
     FROM per GROUP BY value ORDER BY value`,
    b.values,
  );
  return { interval: query.interval, points };
}

async function breakdown(db: Queryable, site: PanelSite, query: StatsQuery) {
  const b = binds();
  if (query.by === 'page') {
    // visit_pages holds each visit's pageviews by path already counted, with the visit's visitor and start: one
    // read in (path, visitor) order (idx_visit_pages_by_path, migration 10) counted as it streams, or a range scan.
    const pages = rollupRows('visit_pages', site, query, b);
    const viewed = orderedBy(streams(site, query, 'page'), `SELECT r.* FROM ${pages.from} AND r.views > 0`, 'r.path, r.visitor_id');
    const rows = await db.query(
      `${pages.with ? `${pages.with}, ` : 'WITH '}per AS (
         SELECT r.path, ${person('r', site)} AS visitor_id, count(*) AS visits, sum(r.views) AS pageviews
         FROM ${viewed} r
         GROUP BY 1, 2
       )
       SELECT path AS value, count(*)::int AS visitors, sum(visits)::int AS visits, sum(pageviews)::int AS pageviews
       FROM per GROUP BY path ${ORDER('pageviews', 'path')} LIMIT ${b.add(query.limit)}`,
      b.values,
    );
    return { by: query.by, rows };
  }
  const skipNull = OPTIONAL_DIMENSIONS.includes(query.by) ? 'WHERE value IS NOT NULL' : '';
  const rows = await db.query(
    `${visitsCte(site, query, b, query.by)}${perVisitor(streams(site, query, query.by), 'value', valueFirst(query.by))}
     SELECT value, count(*)::int AS visitors, sum(visits)::int AS visits, sum(pageviews)::int AS pageviews
     FROM per ${skipNull} GROUP BY value ${ORDER('pageviews', 'value')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  return { by: query.by, rows };
}

async function goals(db: Queryable, site: PanelSite, query: StatsQuery) {
  // The custom events by is_goal() (migration 05, the protocol's built-in types), which idx_user_events_goals
  // (migration 10) holds alone: the range's goals without reading its other events, joined to the range's visits
  // read from idx_user_sessions_panels, which carries their session ids (migration 11), not from the table.
  const b = binds();
  const rows = await db.query(
    `${visitsCte(site, query, b)},
     per AS (
       SELECT e.event_type AS name, v.visitor_id, count(*) AS events
       FROM user_events e JOIN v ON v.session_id = e.session_id
       WHERE e.site_id = ${b.add(site.id)} AND is_goal(e.event_type)
         AND ${eventWindow('e.event_timestamp', query, b)}
       GROUP BY e.event_type, v.visitor_id
     )
     SELECT name, count(*)::int AS visitors, sum(events)::int AS events
     FROM per GROUP BY name ${ORDER('events', 'name')} LIMIT ${b.add(query.limit)}`,
    b.values,
  );
  return { rows };
}

async function funnel(db: Queryable, site: PanelSite, query: StatsQuery) {
  if (query.steps.length === 0) return { steps: [] };
  const b = binds();
  const cte = visitsCte(site, query, b);
  const siteParam = b.add(site.id);
  const steps = query.steps.map((step, index) => {
    const hits =
      step.kind === 'page'
        ? `SELECT session_id, view_timestamp AS ts FROM pageviews
           WHERE site_id = ${siteParam} AND path = ${b.add(step.value)} AND ${eventWindow('view_timestamp', query, b)}`
        : `SELECT session_id, event_timestamp AS ts FROM user_events
           WHERE site_id = ${siteParam} AND event_type = ${b.add(step.value)} AND ${eventWindow('event_timestamp', query, b)}`;
    // Each step: the earliest hit at or after the previous step's, per visit still in the funnel.
    const previous = index === 0 ? 'v' : `s${index - 1}`;
    const after = index === 0 ? '' : ` AND x.ts >= prev.ts`;
    return `s${index} AS (SELECT prev.session_id, min(x.ts) AS ts FROM ${previous} prev JOIN (${hits}) x ON x.session_id = prev.session_id${after} GROUP BY prev.session_id)`;
  });
  const counts = query.steps.map((_, index) => `(SELECT count(*)::int FROM s${index}) AS s${index}`).join(', ');
  const [row] = await db.query<Record<string, number>>(`${cte}, ${steps.join(', ')} SELECT ${counts}`, b.values);
  return { steps: query.steps.map((step, index) => ({ ...step, visits: row?.[`s${index}`] ?? 0 })) };
}

async function vitals(db: Queryable, site: PanelSite, query: StatsQuery) {
  // visit_vitals holds each visit's metrics with the value of their last report.
  const b = binds();
  const vitals = rollupRows('visit_vitals', site, query, b);
  const rows = await db.query(
    `${vitals.with}
     SELECT r.name, percentile_disc(0.75) WITHIN GROUP (ORDER BY r.value)::float8 AS p75, count(*)::int AS samples
     FROM ${vitals.from}
     GROUP BY r.name ORDER BY r.name COLLATE "C"`,
    b.values,
  );
  return { rows };
}

async function live(db: Queryable, siteId: string, now: number) {
  const [row] = await db.query<{ visitors: number }>(
    `SELECT count(DISTINCT e.visitor_id)::int AS visitors FROM events_log e
     WHERE site_id = $1 AND "timestamp" >= $2::timestamptz AND event_type <> 'sdk_dropped'`,
    [siteId, iso(now - LIVE_WINDOW_MS)],
  );
  return { visitors: row?.visitors ?? 0, window_s: LIVE_WINDOW_MS / 1000 };
}

const PANELS = { summary, timeseries, breakdown, goals, funnel, vitals, ...REPORT_PANELS };

/** The route's path: only the contract's panels match it, so any other answers the server's 404. */
export const STATS_ROUTE = `/v1/stats/:panel{${STATS_PANELS.join('|')}}`;

/**
 * Answers `GET /v1/stats/:panel` for a site: the panel's data, or a string naming what is wrong with the request.
 * Each panel runs in a read-only transaction with one snapshot for its statements (whether the site has identified
 * anyone, then the panel that decides), with room for its aggregates in memory (`work_mem` 64 MB: at the 4 MB
 * default, a 30-day view of a million events spills them to disk and takes twice as long), without JIT (compiling
 * costs more than these queries save) and, when it may read in (visitor, value) order (`streamable`), without
 * parallel workers: the dashboard's first screen asks for those panels at once, two at a time (the budget's
 * concurrency), so a worker takes the core another panel would use, and a parallel plan's per-worker hashes and
 * sorts cost more CPU in all than the one streaming plan (at a million events the country breakdown's parallel plan
 * read the table's 12,700 pages where the serial one reads idx_user_sessions_by_visitor's 3,300). Any other request
 * keeps them: it reads the tables' rows as before, and workers read them side by side. Live visitors come from the raw events (the ETL runs every
 * few seconds behind them).
 */
export function statsPanelSql(db: Db, siteId: string, url: URL, now: number): Promise<unknown> | string {
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  if (typeof query === 'string') return query;
  if (panel === 'live') return live(db, siteId, now);
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const ordered =
      panel === 'breakdown'
        ? streamable(query, query.by)
        : ['summary', 'timeseries', 'scroll', 'engagement'].includes(panel) && streamable(query);
    // The settings (set_config(…, true): SET LOCAL) and the question in one statement: a round trip each cost a
    // wait for the CPU on a loaded machine, eighteen times over for the first screen.
    const serial = ordered ? ", set_config('max_parallel_workers_per_gather', '0', true)" : '';
    const [row] = await tx.query<{ identified: boolean }>(
      `SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)${serial},
              EXISTS (SELECT 1 FROM visitor_users WHERE site_id = $1) AS identified`,
      [siteId],
    );
    return PANELS[panel as keyof typeof PANELS](tx, { id: siteId, identified: row?.identified === true }, query);
  });
}
